"""The Jinja2 environment of the pages and the `render()` helper every page route uses.

Templates receive prepared view models (plain dicts/dataclasses built by the routers from
service results) and never trigger queries. Autoescape is on for every template.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from pmo_playbook.documents.common import from_iso
from pmo_playbook.sync.modules import modules_for_path
from pmo_playbook.web.auth import csrf_token
from pmo_playbook.web.markdown import render_markdown

WEB_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def as_datetime(value: Any) -> datetime | None:
    """A datetime from a datetime or ISO text (None for anything else; never raises)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        try:
            return from_iso(value)
        except ValueError:
            return None
    return None


def calendar_date(value: Any) -> date | None:
    """The calendar day a stored date stands for, without any time-zone shift (D38).

    A milestone typed as `2025-08-01` is stored as `2025-08-01` or as UTC midnight
    `2025-08-01T00:00:00.000Z`; both mean 1 August, whatever the viewer's zone."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    moment = as_datetime(value)
    return moment.astimezone(UTC).date() if moment else None


def format_day(value: Any) -> str:
    """`18 Jul 2025` for a date or datetime (UTC day), "" when absent or unreadable."""
    day = calendar_date(value)
    return f"{day.day} {day:%b %Y}" if day else ""


def format_moment(value: Any) -> str:
    """`18 Jul 2025, 10:04 UTC` for a datetime, "" when absent or unreadable."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def relative_time(value: Any, now: datetime | None = None) -> str:
    """Legacy "Recent Chats" wording: just now, Nm ago, Nh ago, Nd ago (< 7 days), else a date."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return format_day(moment)


def iso_day(value: Any) -> str:
    """`2025-08-01` for the `datetime` attribute of <time> (no time-zone shift)."""
    day = calendar_date(value)
    return day.isoformat() if day else ""


def percent(value: Any) -> str:
    """`87%` for a 0..1 confidence; "" for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if value != value:  # NaN
        return ""
    return f"{round(float(value) * 100)}%"


def plural(word: str, count: Any, many: str | None = None) -> str:
    """`word` for a count of 1, else its plural (`many`, or `word` + "s"): "1 user", "2 users"."""
    return word if count == 1 else (many or word + "s")


STATUS_WORDS = {
    "pending_review": "Pending review",
    "pending": "Pending review",
    "ongoing": "In progress",
    "approved": "Approved",
    "rejected": "Rejected",
    "implemented": "Implemented",
    "archived": "Archived",
    "completed": "Completed",
    "closed": "Closed",
}


def status_label(value: Any) -> str:
    """The words shown for a stored status (`pending_review` → "Pending review")."""
    text = str(value or "")
    return STATUS_WORDS.get(text, text.replace("_", " ").capitalize())


def _markdown_filter(text: Any, heading_offset: int = 0, heading_ids: bool = True) -> Markup:
    return render_markdown(
        text if isinstance(text, str) else None,
        heading_offset=heading_offset,
        heading_ids=heading_ids,
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared template environment (autoescape everywhere).

    Missing keys render as empty (Jinja's default): migrated documents do not all carry every
    optional key, and a page must not crash on one."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        markdown=_markdown_filter,
        day=format_day,
        moment=format_moment,
        ago=relative_time,
        iso_day=iso_day,
        percent=percent,
        plural=plural,
        status=status_label,
    )
    env.globals.update(csrf_token=csrf_token)
    return env


def ownership_context(request: Request) -> dict[str, Any]:
    """What every template needs to honour a cut-over: `owns(module)` (False: hide its write
    forms) and `read_only` (module, owner) pairs of THIS page's modules for the notice.

    `request.state.not_owned` is set by the request's connection dependency (web/deps.py);
    a page rendered without one (login, errors) owns everything."""
    state = getattr(request, "state", None)
    foreign: dict[str, str] = getattr(state, "not_owned", None) or {}
    here = modules_for_path(request.url.path) if foreign else ()
    return {
        "owns": lambda module: module not in foreign,
        "read_only": [(m, foreign[m]) for m in here if m in foreign],
    }


def render_html(request: Request, template: str, context: dict[str, Any]) -> str:
    """The HTML text of `template` with `context` (plus `request` and the ownership view)."""
    full = {"request": request, **ownership_context(request), **context}
    return environment().get_template(template).render(full)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """An HTML response of `template`."""
    html = render_html(request, template, context or {})
    return HTMLResponse(html, status_code=status, headers=headers)


def is_htmx(request: Request) -> bool:
    """True when htmx sent the request (it wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"
