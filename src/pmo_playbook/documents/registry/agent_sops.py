"""`agent_sops`: the structured SOPs the chat reads, generated from human SOPs (module sops)."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, TEXT_KEY, Collection, index
from pmo_playbook.documents.registry.columns import (
    Reference,
    flag,
    integer,
    key,
    moment,
    referenced_id,
    text,
    timestamps,
)
from pmo_playbook.documents.registry.human_sops import MAX_VERSION, SOP_ID
from pmo_playbook.documents.registry.shape import DATE, OBJECT_ID, TIMESTAMPS, arr, document, obj

SECTION_KEYS = (
    "objectives",
    "keyActivities",
    "deliverables",
    "rolesResponsibilities",
    "toolsTemplates",
    "bestPractices",
    "commonPitfalls",
)
SECTIONS = obj(
    *SECTION_KEYS[:3],
    ("rolesResponsibilities", arr(obj("role", "responsibilities"))),
    *SECTION_KEYS[4:],
)
# The human SOP an agent SOP was generated from (`humanSopId`, an ObjectId).
HUMAN_SOP = Reference(
    field="humanSopId", staged_column="human_sop_ref", column="human_sop_id",
    target_table="human_sops",
)  # fmt: skip

COLLECTION = Collection(
    name="agent_sops",
    module="sops",
    shape=document(
        "sopId",
        ("humanSopId", OBJECT_ID),
        *("title", "phase", "summary", "description"),
        ("sections", SECTIONS),
        *("keywords", "relatedSopIds", "version", "isActive"),
        ("lastSyncedAt", DATE),
        *TIMESTAMPS,
        "searchableContent",
    ),
    table="agent_sops",
    columns=(
        key("sop_id", "sopId", SOP_ID),
        referenced_id(HUMAN_SOP.staged_column, HUMAN_SOP),
        integer("phase", "phase", "smallint", 1, 5, None),
        integer("version", "version", "integer", 1, MAX_VERSION, 1),
        flag("is_active", "isActive", True),
        text("searchable_content", "searchableContent"),
        moment("last_synced_at", "lastSyncedAt"),
        *timestamps(),
    ),
    natural_keys=(("sop_id",),),
    reference=HUMAN_SOP,
    legacy_indexes=(
        ID_INDEX, index({"sopId": 1}, "sopId_1", True),
        index({"phase": 1, "isActive": 1}, "phase_1_isActive_1"),
        index({"keywords": 1}, "keywords_1"), index(TEXT_KEY, "searchableContent_text"),
    ),
)  # fmt: skip
