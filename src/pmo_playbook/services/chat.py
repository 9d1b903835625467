"""Answer a chat question (legacy POST /api/chat, §2.1, §3.4; D3, D4, D5, D17, D39 fixed).

One question → retrieval over the agent SOPs in PostgreSQL → an answer (offline by default, an
OpenAI-compatible model when `OPENAI_API_KEY` is set) → the question and the answer stored as
one turn in the caller's session, in the caller's transaction (`services.sessions.record_turn`).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.ai import llm
from pmo_playbook.ai.answers import Answer, compose, no_sop_answer
from pmo_playbook.ai.retrieval import Retrieval, retrieve
from pmo_playbook.config import Settings
from pmo_playbook.errors import BadRequest, InvalidInput, ServiceUnavailable
from pmo_playbook.repositories.sop_search import SopSearchRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.session_titles import TitleGenerator
from pmo_playbook.services.sessions import check_session_id, recent_context, record_turn

log = logging.getLogger(__name__)

MESSAGE_REQUIRED = "Message is required"
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
    repo = SopSearchRepository(conn)
    if retrieval.sop is None:
        return no_sop_answer(retrieval, repo.catalogue())
    passages = repo.rank_sections(retrieval.sop.sop_id, [], [])
    offline = compose(retrieval, passages)
    if config is None:
        return offline
    history = recent_context(conn, actor, session_id)
    try:
        return llm.ask(config, retrieval, passages, history)
    except llm.LlmError as exc:
        log.warning("LLM answer failed (%s); mode=%s", exc, settings.llm_failure_mode)
        if settings.llm_failure_mode == "error":
            raise AiServiceError("AI service temporarily unavailable. Please try again.") from exc
        return offline


def answer_question(
    conn: psycopg.Connection[Any],
    actor: Actor,
    message: object,
    session_id: object,
    *,
    settings: Settings,
    user_agent: str | None = None,
) -> ChatReply:
    """Validate, retrieve, answer and store the turn (question + answer in one transaction)."""
    text = check_message(message, settings.chat_max_message_chars)
    sid = (
        new_session_id() if session_id is None or session_id == "" else check_session_id(session_id)
    )
    retrieval = retrieve(conn, text, semantic=settings.embeddings == "auto")
    config = _llm_config(settings)
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
