"""`sop_version_history`: one entry per saved version of a human or agent SOP (module sops).

The seed guide's scripts called it `sop_version_histories`, the table's name."""

from __future__ import annotations

from pmo_playbook.documents.registry.agent_sops import SECTIONS
from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import integer, key, timestamps, vocabulary
from pmo_playbook.documents.registry.human_sops import MAX_VERSION
from pmo_playbook.documents.registry.shape import DATE, document, obj

SOP_TYPES = ("human", "agent")
CHANGE_TYPES = ("create", "update", "regenerate", "rollback")

COLLECTION = Collection(
    name="sop_version_history",
    aliases=("sop_version_histories",),
    module="sops",
    shape=document(
        *("sopId", "sopType", "version"),
        # Mixed: markdown text for human SOPs, this snapshot object for agent SOPs.
        ("content", obj("title", ("sections", SECTIONS), "keywords")),
        *("changedBy", "changeType", "changeReason"),
        ("metadata", obj("previousVersion", "regenerationErrors", "regenerationWarnings")),
        ("createdAt", DATE),
        "__v",
    ),
    mixed_fields=frozenset({"content"}),
    table="sop_version_histories",
    columns=(
        key("sop_id", "sopId"),
        vocabulary("sop_type", "sopType", SOP_TYPES, None),
        integer("version", "version", "integer", 1, MAX_VERSION, None),
        vocabulary("change_type", "changeType", CHANGE_TYPES, None, optional=True),
        *timestamps(updated="createdAt"),  # entries are never updated
    ),
    natural_keys=(("sop_id", "sop_type", "version"),),
    legacy_indexes=(
        ID_INDEX,
        index({"sopId": 1, "sopType": 1, "version": -1}, "sopId_1_sopType_1_version_-1"),
        index({"sopId": 1, "createdAt": -1}, "sopId_1_createdAt_-1"),
    ),
)  # fmt: skip
