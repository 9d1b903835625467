"""Answer a chat question (legacy POST /api/chat, §2.1, §3.4; D3, D4, D5, D17, D39 fixed).

One question → retrieval over the agent SOPs in PostgreSQL → an answer (offline by default, an
OpenAI-compatible model when `OPENAI_API_KEY` is set) → the question and the answer stored as
one turn in the caller's session, in the caller's transaction (`services.sessions.record_turn`).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from pmo_playbook.ai import llm, project_answers
from pmo_playbook.ai.answers import Answer, compose, no_sop_answer
from pmo_playbook.ai.retrieval import Retrieval, catalogue, retrieve
from pmo_playbook.config import Settings
from pmo_playbook.errors import BadRequest, InvalidInput, ServiceUnavailable
from pmo_playbook.repositories.sop_passages import SopPassageRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.projects import get_project
from pmo_playbook.services.session_titles import TitleGenerator
from pmo_playbook.services.sessions import check_session_id, recent_context, record_turn

log = logging.getLogger(__name__)

MESSAGE_REQUIRED = "Message is required"
_PROJECT_ID = re.compile(r"PRO-[0-9]{3,}")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class AiServiceError(ServiceUnavailable):
    """The configured LLM failed and PMO_LLM_FAILURE_MODE=error (legacy code kept)."""

    code = "AI_SERVICE_ERROR"


@dataclass(frozen=True)
class ChatReply:
    """Everything the route renders."""

    session_id: str
    message_id: str
    retrieval: Retrieval
    answer: Answer

    def as_json(self) -> dict[str, Any]:
        """The legacy response keys plus messageId and citations."""
        sop = self.retrieval.sop
        return {
            "response": self.answer.text,
            "sessionId": self.session_id,
            "attribution": {
                "selectedSOP": (
                    {"sopId": sop.sop_id, "title": sop.title, "phase": sop.phase} if sop else None
                ),
                "confidence": self.retrieval.confidence,
                "reasoning": self.retrieval.reasoning,
            },
            "messageId": self.message_id,
            "citations": [c.as_json() for c in self.answer.citations],
        }


def new_session_id() -> str:
    """`session-<epoch ms>-<9 base36>` (the legacy client's format), made on the server."""
    suffix = "".join(secrets.choice(_BASE36) for _ in range(9))
    return f"session-{int(time.time() * 1000)}-{suffix}"


def check_message(message: object, max_chars: int) -> str:
    """400 when missing or blank (legacy client), 422 when not a string or too long (D3, D5)."""
    if message is None:
        raise BadRequest(MESSAGE_REQUIRED)
    if not isinstance(message, str):
        raise InvalidInput("message must be a string", details={"field": "message"})
    if not message.strip():
        raise BadRequest(MESSAGE_REQUIRED)
    if len(message) > max_chars:
        raise InvalidInput(
            f"message is longer than {max_chars} characters",
            details={"field": "message", "maxChars": max_chars},
        )
    return message.strip()


def _llm_config(settings: Settings) -> llm.LlmConfig | None:
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value():
        return None
    return llm.LlmConfig(
        base_url=settings.llm_base_url,
        api_key=settings.openai_api_key.get_secret_value(),
        model=settings.llm_model,
        timeout=settings.llm_timeout_seconds,
        retries=settings.llm_retries,
    )


def _title_generator(config: llm.LlmConfig | None, settings: Settings) -> TitleGenerator | None:
    """The LLM's session title when a model is configured and titles are on (else None: the
    offline rule); called by record_turn only when the turn creates the session."""
    if config is None or not settings.llm_session_titles:
        return None
    return lambda text: llm.title(config, text)


def _answer(
    conn: psycopg.Connection[Any],
    actor: Actor,
    session_id: str,
    retrieval: Retrieval,
    settings: Settings,
    config: llm.LlmConfig | None,
) -> Answer:
    """Offline answer, or the LLM's when configured (falling back or failing as configured)."""
    if retrieval.sop is None:
        return no_sop_answer(catalogue(conn))
    offline = compose(retrieval)
    if config is None:
        return offline
    history = recent_context(conn, actor, session_id)
    try:
        return llm.ask(config, retrieval, history)
    except llm.LlmError as exc:
        log.warning("LLM answer failed (%s); mode=%s", exc, settings.llm_failure_mode)
        if settings.llm_failure_mode == "error":
            raise AiServiceError("AI service temporarily unavailable. Please try again.") from exc
        return offline


def check_project_id(project_id: object) -> str | None:
    """None when absent; 422 unless it looks like PRO-NNN."""
    if project_id is None or project_id == "":
        return None
    if not isinstance(project_id, str) or not _PROJECT_ID.fullmatch(project_id.upper()):
        raise InvalidInput("projectId must look like PRO-NNN", details={"field": "projectId"})
    return project_id.upper()


def _project_reply(
    conn: psycopg.Connection[Any],
    text: str,
    facts: project_answers.ProjectFacts,
    kind: str,
    semantic: bool,
) -> tuple[Retrieval, Answer]:
    """A project question: facts from the record, then what the current phase's SOP says."""
    now = datetime.now(UTC)
    retrieve(conn, text, semantic=semantic)  # refreshes the index before reading its SOPs
    headers = SopPassageRepository(conn).headers()
    phase, how = project_answers.current_phase(facts, sorted({p for _, p in headers.values()}), now)
    in_phase = {s for s, (_, p) in headers.items() if p == phase}
    lines = []
    if kind == "sponsor":
        lines.append(project_answers.sponsor_text(facts))
    elif kind == "milestone":
        lines.append(project_answers.milestone_text(facts, now))
    if phase is None:
        lines.append(f"Its current phase is unknown ({how}).")
        retrieval = retrieve(conn, text, refresh=False, semantic=semantic)
    else:
        lines.append(f"**{facts.project_id}** is in phase {phase} ({how}).")
        retrieval = retrieve(conn, text, refresh=False, semantic=semantic, within=in_phase)
    if kind == "now" and phase is not None:
        lines.append(project_answers.milestone_text(facts, now))
    if retrieval.sop is None:
        return retrieval, Answer("\n\n".join(lines), [], source="project")
    sop_answer = compose(retrieval)
    text_out = "\n\n".join([*lines, sop_answer.text])
    return retrieval, Answer(text_out, sop_answer.citations, source="project")


def answer_question(
    conn: psycopg.Connection[Any],
    actor: Actor,
    message: object,
    session_id: object,
    *,
    settings: Settings,
    user_agent: str | None = None,
    project_id: object = None,
) -> ChatReply:
    """Validate, retrieve, answer and store the turn (question + answer in one transaction).
    With `project_id`, questions about that project are answered from its record too."""
    text = check_message(message, settings.chat_max_message_chars)
    sid = (
        new_session_id() if session_id is None or session_id == "" else check_session_id(session_id)
    )
    pid = check_project_id(project_id)
    semantic = settings.embeddings == "auto"
    config = _llm_config(settings)
    kind = project_answers.intent(text) if pid else None
    if pid is not None and kind is not None:
        row = get_project(conn, actor, pid, public_read=settings.public_read)
        facts = project_answers.facts_of(row.project_id, row.data)
        retrieval, answer = _project_reply(conn, text, facts, kind, semantic)
    else:
        if pid is not None:
            get_project(conn, actor, pid, public_read=settings.public_read)  # 404 when unknown
        retrieval = retrieve(conn, text, semantic=semantic)
        answer = _answer(conn, actor, sid, retrieval, settings, config)
    assistant: dict[str, Any] = {"role": "assistant", "content": answer.text}
    if retrieval.sop is not None:
        assistant["selectedSopId"] = retrieval.sop.sop_id
    assistant["confidence"] = retrieval.confidence
    assistant["citations"] = [c.as_json() for c in answer.citations]
    turn = record_turn(
        conn,
        actor,
        sid,
        [{"role": "user", "content": text}, assistant],
        user_agent=user_agent,
        title_generator=_title_generator(config, settings),
    )
    return ChatReply(turn.session_id, turn.message_ids[-1], retrieval, answer)
