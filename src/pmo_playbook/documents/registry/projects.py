"""`projects`: project charters (module projects)."""

from __future__ import annotations

import re

from pmo_playbook.documents.registry.collection import ID_INDEX, TEXT_KEY, Collection, index
from pmo_playbook.documents.registry.columns import flag, key, timestamps
from pmo_playbook.documents.registry.shape import DATE, TIMESTAMPS, arr, document

PROJECT_ID = re.compile(r"^PRO-[0-9]{3,}$")

COLLECTION = Collection(
    name="projects",
    module="projects",
    shape=document(
        *("projectId", "projectName", "sponsor", "projectTeam", "keyStakeholders"),
        *("projectObjectives", "businessCaseSummary", "resourceRequirements"),
        "scopeDeliverables",
        ("keyDatesMilestones", arr(document(("date", DATE), "description"))),
        *("threats", "opportunities", "keyAssumptions", "successCriteria"),
        *("isActive", "createdBy", "lastModifiedBy"),
        *TIMESTAMPS,
    ),
    table="projects",
    columns=(key("project_id", "projectId", PROJECT_ID), flag("is_active", "isActive", True),
             *timestamps()),
    natural_keys=(("project_id",),),
    legacy_indexes=(
        ID_INDEX, index({"projectId": 1}, "projectId_1", True),
        index(TEXT_KEY, "projectName_text"), index({"sponsor": 1}, "sponsor_1"),
        index({"isActive": 1}, "isActive_1"),
    ),
)  # fmt: skip
