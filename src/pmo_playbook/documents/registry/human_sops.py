"""`human_sops`: the SOPs people write, in markdown (module sops)."""

from __future__ import annotations

import re

from pmo_playbook.documents.registry.collection import ID_INDEX, TEXT_KEY, Collection, index
from pmo_playbook.documents.registry.columns import flag, integer, key, timestamps
from pmo_playbook.documents.registry.shape import TIMESTAMPS, document

SOP_ID = re.compile(r"^SOP-[0-9]{3,}$")
MAX_VERSION = 2**31 - 1

COLLECTION = Collection(
    name="human_sops",
    module="sops",
    shape=document(
        *("sopId", "title", "phase", "markdownContent", "version", "isActive"),
        *("createdBy", "lastModifiedBy"),
        *TIMESTAMPS,
    ),
    table="human_sops",
    columns=(
        key("sop_id", "sopId", SOP_ID),
        integer("phase", "phase", "smallint", 1, 5, None),
        integer("version", "version", "integer", 1, MAX_VERSION, 1),
        flag("is_active", "isActive", True),
        *timestamps(),
    ),
    natural_keys=(("sop_id",),),
    legacy_indexes=(
        ID_INDEX, index({"sopId": 1}, "sopId_1", True),
        index({"phase": 1, "isActive": 1}, "phase_1_isActive_1"), index(TEXT_KEY, "title_text"),
    ),
)  # fmt: skip
