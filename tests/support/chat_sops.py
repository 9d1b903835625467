"""The five real SOPs (../shared/fixtures/sop-markdown) as agent SOP rows, for tests and the bench.

Parsed with the SOP engineer's parser (documents/sop_parser.py); the fallback below reads the
same fixed outline (H1, five H2 sections, bullet lists, a Role | Responsibility table) should
that module be unavailable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import bson
import psycopg
from psycopg.types.json import Jsonb

_KEYS = {
    "objective": "objectives",
    "key activities": "keyActivities",
    "deliverables": "deliverables",
    "tools & templates": "toolsTemplates",
}


def _fallback(markdown: str, sop_id: str) -> dict[str, Any]:
    title = re.search(r"^#\s+(.+)$", markdown, re.M)
    sections: dict[str, Any] = {k: [] for k in _KEYS.values()}
    sections.update(rolesResponsibilities=[], bestPractices=[], commonPitfalls=[])
    current = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
        elif current in _KEYS and line.strip() and not line.startswith("|"):
            sections[_KEYS[current]].append(line.lstrip("- ").strip())
        elif current.startswith("roles") and line.startswith("|") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0].lower() != "role":
                sections["rolesResponsibilities"].append(
                    {"role": cells[0], "responsibilities": [cells[1]]}
                )
    name = (title.group(1) if title else sop_id).replace("PMO SOP – ", "").strip()
    objective = sections["objectives"][0] if sections["objectives"] else name
    return {
        "title": name,
        "phase": int(sop_id[-1]),
        "summary": objective,
        "description": objective,
        "sections": sections,
        "keywords": [],
    }


def agent_sop_documents(fixtures_dir: Path) -> list[dict[str, Any]]:
    """One agent SOP `data` document per markdown file, SOP-001 … SOP-005."""
    docs = []
    files = sorted((fixtures_dir / "sop-markdown").glob("*.md"))
    for number, path in enumerate(files, start=1):
        sop_id = f"SOP-{number:03d}"
        markdown = path.read_text(encoding="utf-8")
        try:
            from pmo_playbook.documents.sop_parser import parse_sop_markdown

            parsed = parse_sop_markdown(markdown, sop_id)
            doc: dict[str, Any] = {
                "title": parsed.title,
                "phase": parsed.phase,
                "summary": parsed.summary,
                "description": parsed.description,
                "sections": parsed.sections,
                "keywords": parsed.keywords,
            }
        except ImportError:
            doc = _fallback(markdown, sop_id)
        doc = {"sopId": sop_id, **doc, "relatedSopIds": [], "version": 1, "isActive": True}
        docs.append(doc)
    return docs


def insert_agent_sops(conn: psycopg.Connection[Any], docs: list[dict[str, Any]]) -> None:
    """Store the documents as agent_sops rows (no human SOP link needed by the chat)."""
    for doc in docs:
        conn.execute(
            "INSERT INTO agent_sops (sop_id, legacy_id, phase, version, is_active, data) "
            "VALUES (%s, %s, %s, 1, true, %s)",
            (doc["sopId"], str(bson.ObjectId()), doc["phase"], Jsonb(doc)),
        )
