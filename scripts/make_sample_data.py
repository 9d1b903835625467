"""Build the demo's sample legacy database (src/pmo_playbook/sample_data/legacy/).

A `mongoexport`-style folder: one `<collection>.json` file per legacy collection, one document
per line in canonical Extended JSON, as `mongoexport --jsonFormat=canonical` writes it. Content:
the five real SOPs (human_sops from the markdown, agent_sops built by the application's parser),
the legacy seed projects PRO-001/PRO-002 plus one more, three chat sessions and the change
proposal of the legacy export, two gap reports and three ratings.

Deterministic: fixed ObjectIds and dates, so re-running it reproduces the committed files.
Run: .venv/bin/python scripts/make_sample_data.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from bson import ObjectId
from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

from pmo_playbook.documents.common import from_iso
from pmo_playbook.services.sop_parser import parse_sop_markdown, searchable_content

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "pmo_playbook" / "sample_data" / "legacy"
SOP_FILES = [
    "01 Pre-Initiate.md",
    "02 Initiate-Phase.md",
    "03 Design-and-plan.md",
    "04 Implement-and-control.md",
    "05 close-realize-benefits.md",
]
DATE_KEYS = {"createdAt", "updatedAt", "startedAt", "lastActive", "endedAt", "timestamp", "date",
             "lastUsed", "lastSyncedAt", "implementedAt"}  # fmt: skip
OID_KEYS = {"_id", "humanSopId"}
HEX24 = re.compile(r"^[0-9a-f]{24}$")
CREATED = "2025-07-18T10:04:47.000Z"


def oid(kind: int, n: int) -> str:
    """A fixed ObjectId: 5a1e + kind + number (valid 24-hex, stable across runs)."""
    return f"5a1e{kind:04x}{n:016x}"


def to_bson_types(value: Any, key: str = "") -> Any:
    """Natural JSON → BSON-typed values: ids to ObjectId, ISO dates to datetime."""
    if isinstance(value, dict):
        return {k: to_bson_types(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_bson_types(v, key) for v in value]
    if key in OID_KEYS and isinstance(value, str) and HEX24.match(value):
        return ObjectId(value)
    if key in DATE_KEYS and isinstance(value, str):
        return from_iso(value)
    return value


def sops(shared: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    humans, agents = [], []
    for n, name in enumerate(SOP_FILES, start=1):
        markdown = (shared / "fixtures" / "sop-markdown" / name).read_text(encoding="utf-8")
        sop_id = f"SOP-{n:03d}"
        parsed = parse_sop_markdown(markdown, sop_id)
        human = {"_id": oid(1, n), "sopId": sop_id, "title": parsed.title, "phase": parsed.phase,
                 "markdownContent": markdown, "version": 1, "isActive": True,
                 "createdBy": "migration-script", "lastModifiedBy": "migration-script",
                 "createdAt": CREATED, "updatedAt": CREATED, "__v": 0}  # fmt: skip
        agent = {"_id": oid(2, n), "sopId": sop_id, "humanSopId": oid(1, n), "title": parsed.title,
                 "phase": parsed.phase, "summary": parsed.summary[:500],
                 "description": parsed.description, "sections": parsed.sections,
                 "keywords": parsed.keywords, "relatedSopIds": parsed.related_sop_ids,
                 "version": 1, "isActive": True, "lastSyncedAt": CREATED,
                 "createdAt": CREATED, "updatedAt": CREATED, "__v": 0}  # fmt: skip
        agent["searchableContent"] = searchable_content(agent)
        humans.append(human)
        agents.append(agent)
    return humans, agents


def projects(seed: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((seed / "projects.json").read_text())[:2]
    extra = {"_id": oid(3, 3), "projectId": "PRO-003", "projectName": "PMO Playbook Rollout",
             "sponsor": "Dana Lee, COO", "projectTeam": ["Alex Kim - Project Manager",
             "Sam Ortiz - Change Lead"], "keyStakeholders": ["PMO", "Department heads"],
             "projectObjectives": ["Every project follows the five-phase SOPs"],
             "businessCaseSummary": "One playbook for all projects cuts rework and audit findings.",
             "resourceRequirements": "2 FTE for 3 months", "scopeDeliverables": ["SOP library",
             "Training sessions", "Chat assistant"], "keyDatesMilestones": [
                 {"date": "2030-01-15T00:00:00.000Z", "description": "Pilot with two teams",
                  "_id": oid(4, 1)},
                 {"date": "2030-04-01T00:00:00.000Z", "description": "Organisation-wide launch",
                  "_id": oid(4, 2)}],
             "threats": ["Low adoption"], "opportunities": ["Reuse templates"],
             "keyAssumptions": ["SOPs stay current"], "successCriteria": ["80% of projects use it"],
             "isActive": True, "createdBy": "system", "lastModifiedBy": "system",
             "createdAt": CREATED, "updatedAt": CREATED, "__v": 0}  # fmt: skip
    return [*found, extra]


def chats(seed: Path) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = json.loads((seed / "chat_histories.json").read_text())
    return sessions[:3]


def proposals(seed: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((seed / "change_proposals.json").read_text())[:1]
    for proposal in found:
        number = int(proposal["sopId"].split("-")[1])
        proposal["humanSopId"] = oid(1, number)  # point at this sample's human SOP
    return found


def feedback(chat: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reports, ratings = [], []
    for n, session in enumerate(chat[:2], start=1):
        messages = session["messages"]
        answer = next(i for i, m in enumerate(messages) if m["role"] == "assistant")
        sop_id = messages[answer].get("selectedSopId") or "SOP-002"
        reports.append({"_id": oid(5, n), "feedbackId": f"feedback-175320{n}000000-sample{n:03d}",
                        "sessionId": session["sessionId"], "messageId": f"msg-{answer}",
                        "userQuestion": messages[answer - 1]["content"],
                        "aiResponse": messages[answer]["content"][:2000],
                        "userComment": "I needed a template, not just the steps.",
                        "sopId": sop_id, "sopTitle": "Initiation Phase", "confidence": 0.85,
                        "status": "pending", "priority": "medium",
                        "createdAt": CREATED, "updatedAt": CREATED, "__v": 0})  # fmt: skip
    for n, session in enumerate(chat, start=1):
        messages = session["messages"]
        answer = next(i for i, m in enumerate(messages) if m["role"] == "assistant")
        ratings.append({"_id": oid(6, n), "messageId": f"msg-{answer}",
                        "sessionId": session["sessionId"],
                        "rating": "helpful" if n != 2 else "not_helpful",
                        "sopUsed": messages[answer].get("selectedSopId") or "SOP-002",
                        "confidence": float(messages[answer].get("confidence") or 0.8),
                        "createdAt": CREATED, "updatedAt": CREATED, "__v": 0})  # fmt: skip
    return reports, ratings


def write(name: str, documents: list[dict[str, Any]]) -> None:
    lines = [dumps(to_bson_types(doc), json_options=CANONICAL_JSON_OPTIONS) for doc in documents]
    (OUT / f"{name}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    seed = args.shared / "fixtures" / "seed-export"
    OUT.mkdir(parents=True, exist_ok=True)
    humans, agents = sops(args.shared)
    chat = chats(seed)
    reports, ratings = feedback(chat)
    write("human_sops", humans)
    write("agent_sops", agents)
    write("projects", projects(seed))
    write("chat_histories", chat)
    write("change_proposals", proposals(seed))
    write("userfeedback", reports)
    write("message_feedback", ratings)


if __name__ == "__main__":
    main()
