"""Chat sessions (legacy collection `chat_histories`) and their messages.

A session row keeps its typed columns (session_id, user_id = owner key, status, times) beside
the natural-JSON document. Messages are append-only, so a message's position is stable: legacy
messages (stored without an id) are addressed as `msg-<index>` and new ones are stored with
`"messageId": "msg-<index>"`, so both forms agree (D21, D28).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pmo_playbook.documents.registry import chat_histories, human_sops

MESSAGE_ROLES = ("user", "assistant", "system")
SESSION_STATUSES = chat_histories.STATUSES
SOP_ID_PATTERN = human_sops.SOP_ID.pattern
SESSION_ID_MAX = 200
# 1..200 characters, none of them a control character: a rule the OpenAPI document can state
# exactly (a JSON Schema pattern), unlike str.isprintable's Unicode categories.
SESSION_ID_CHAR = r"[^\x00-\x1f\x7f-\x9f]"
SESSION_ID_PATTERN = rf"^{SESSION_ID_CHAR}{{1,{SESSION_ID_MAX}}}$"
MESSAGE_MAX_CHARS = 100_000

_POSITIONAL = re.compile(r"^msg-([0-9]{1,9})$")


def message_id_at(index: int) -> str:
    """The stable id of the message at `index` (0-based) of a session."""
    return f"msg-{index}"


def index_of_message_id(message_id: str) -> int | None:
    """The position a `msg-<index>` id designates, or None for any other form."""
    match = _POSITIONAL.match(message_id)
    return int(match.group(1)) if match else None


class NewMessage(BaseModel):
    """A message about to be appended: legacy keys; unknown keys kept as given."""

    model_config = ConfigDict(extra="allow", strict=True)

    role: str = Field(pattern="^(user|assistant|system)$")
    content: str = Field(max_length=MESSAGE_MAX_CHARS)
    timestamp: str | None = None
    selectedSopId: str | None = Field(default=None, pattern=SOP_ID_PATTERN)
    confidence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class ChatSession(BaseModel):
    """One chat_histories row: typed columns plus the natural-JSON document."""

    legacy_id: str | None
    session_id: str
    user_id: str | None
    status: str
    started_at: datetime
    last_active: datetime
    created_at: datetime
    updated_at: datetime
    data: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        raw = self.data.get("messages")
        return [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []

    @property
    def numbered_messages(self) -> list[ChatMessage]:
        """The messages with their stable ids, in order."""
        return [ChatMessage.at(m, i) for i, m in enumerate(self.messages)]

    @property
    def session_name(self) -> str | None:
        return _text(self.data.get("sessionName"))

    @property
    def summary(self) -> str | None:
        return _text(self.data.get("summary"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class ChatMessage(BaseModel):
    """One stored message as it is shown: `document` is the stored message (free-form JSON,
    its keys in stored order) with its stable `messageId`; the properties read it by meaning."""

    model_config = ConfigDict(frozen=True)

    document: dict[str, Any]

    @classmethod
    def at(cls, message: dict[str, Any], index: int) -> ChatMessage:
        """The message stored at `index` of its session."""
        return cls(document=message_with_id(message, index))

    @property
    def message_id(self) -> str:
        return str(self.document["messageId"])

    @property
    def role(self) -> str | None:
        return _text(self.document.get("role"))

    @property
    def content(self) -> str:
        """The text ("" when there is none)."""
        value = self.document.get("content")
        return str(value) if value else ""

    @property
    def timestamp(self) -> str | None:
        """Natural ISO text, as stored."""
        return _text(self.document.get("timestamp"))

    @property
    def selected_sop_id(self) -> str | None:
        return _text(self.document.get("selectedSopId"))

    @property
    def sop_title(self) -> str | None:
        return _text(self.document.get("sopTitle"))

    @property
    def confidence(self) -> float | None:
        value = self.document.get("confidence")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value  # as stored: an int stays an int (1, not 1.0) when written back

    @property
    def citations(self) -> list[Citation]:
        """The answer's citations (stored items without a SOP id are skipped)."""
        raw = self.document.get("citations")
        items = raw if isinstance(raw, list) else []
        return [
            Citation(
                sop_id=item["sopId"],
                section=str(item.get("section") or ""),
                quote=str(item.get("quote") or ""),
            )
            for item in items
            if isinstance(item, dict) and isinstance(item.get("sopId"), str)
        ]


class Citation(BaseModel):
    """One passage an answer cites."""

    model_config = ConfigDict(frozen=True)

    sop_id: str
    section: str
    quote: str


def message_with_id(message: dict[str, Any], index: int) -> dict[str, Any]:
    """The message as the API shows it: its stored `messageId`, or its positional id."""
    out = dict(message)
    if not isinstance(out.get("messageId"), str) or not out["messageId"]:
        out["messageId"] = message_id_at(index)
    return out
