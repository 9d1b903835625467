"""Every page, as an anonymous visitor, a user and an admin, at 390 px and 1366 px: no
horizontal scroll, no clipped text in the header, and every visible text at a WCAG contrast
ratio >= 4.5:1, computed here from the rendered colours (each text node's colour against the
background that is really behind it, semi-transparent layers composited).

One browser, one page per role, reused for both widths; screenshots go to the test's tmp dir.
The HTML GET routes are read from the app's page routers: a route no audited path reaches (and
not listed in NOT_PAGES with a reason) fails `test_the_audit_covers_every_html_route`, so a new
page cannot slip past the audit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute

from pmo_playbook.services.actor import SYSTEM
from pmo_playbook.services.gap_reports import file_gap_report
from pmo_playbook.services.proposals import create_proposal
from pmo_playbook.services.sops import edit_sop, get_human_sop
from pmo_playbook.services.users import actor_for, get_user_by_email
from pmo_playbook.web.pages import PAGE_MODULES
from tests.browser.conftest import TIMEOUT_MS, LiveServer, Ui, _watch
from tests.browser.seed import ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD, seed_session

pytestmark = pytest.mark.browser

WIDTHS = (390, 1366)
MIN_CONTRAST = 4.5

# Runs in the page: returns the problems found (empty when the page is fine).
AUDIT_JS = """
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) {
    problems.push(`horizontal scroll: scrollWidth ${doc.scrollWidth} > ${doc.clientWidth}`);
  }
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  // the content of a closed <details> is not rendered for the reader
  const folded = (el) => {
    const details = el.closest("details:not([open])");
    return details !== null && !el.closest("summary");
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!el || !text.textContent.trim() || seen.has(el) || folded(el)) continue;
    seen.add(el);
    if (el.closest("script, style, noscript, option, .skip-link, [hidden]")) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility !== "visible" || rect.width === 0 || rect.height === 0) continue;
    if (el.closest("[aria-hidden=true]") || Number(style.opacity) === 0) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const value = ratio(fg.a < 1 ? over(fg, bg) : fg, bg);
    if (value < %(min)s) {
      const label = text.textContent.trim().slice(0, 40);
      problems.push(`contrast ${value.toFixed(2)}:1 for "${label}" (${style.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
    }
  }
  for (const el of document.querySelectorAll("header.topbar *")) {
    const style = getComputedStyle(el);
    if (!el.textContent.trim() || el.getBoundingClientRect().width === 0 || folded(el)) continue;
    const clips = style.overflowX !== "visible" || style.textOverflow === "ellipsis";
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`header text clipped: "${el.textContent.trim().slice(0, 40)}"`);
    }
    const rect = el.getBoundingClientRect();
    if (rect.right > doc.clientWidth + 1 && style.position !== "absolute") {
      problems.push(`header element past the right edge: "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  return problems;
}
""".replace("%(min)s", str(MIN_CONTRAST))

ANONYMOUS_PAGES = (
    "/",
    "/sop/SOP-001",
    "/sop/SOP-005",
    "/sop/SOP-002?view=agent",
    "/pro/PRO-001",
    "/chat",
    "/login",
    "/my/reports",
    "/sop/SOP-999",
    "/admin/audit",
)
USER_PAGES = ("/sop/SOP-002", "/chat", "/my/reports", "/logout", "/admin/users")
ADMIN_PAGES = (
    "/admin",
    "/admin/user-feedback",
    "/admin/user-feedback/{feedback}",
    "/admin/user-feedback/{feedback}/propose",
    "/admin/conversations/session-layout",
    "/admin/proposals?status=all",
    "/admin/proposals?status=pending",
    "/admin/sops",
    "/admin/sops/SOP-002",
    "/admin/sops/SOP-002?mode=edit",
    "/admin/sops/SOP-002?mode=history",
    "/admin/sops/SOP-002?mode=history&from_version=1&to_version=2",
    "/admin/sops/new",
    "/admin/projects",
    "/admin/projects/new",
    "/admin/projects/PRO-001/edit",
    "/admin/analytics",
    "/admin/users",
    "/admin/audit",
    "/sop/SOP-001",
    "/pro/PRO-001",
    "/admin/sops/SOP-999",
)
# (role, path) → the error page it must be; anonymous /admin/audit is the login page (200)
EXPECTED_ERRORS = {
    ("anonymous", "/sop/SOP-999"): 404,
    ("user", "/admin/users"): 403,
    ("admin", "/admin/sops/SOP-999"): 404,
}
# HTML GET routes that are not pages of their own, and why
NOT_PAGES = {
    "/chat/panel": "the htmx fragment of the chat panel, audited inside /chat",
    "/chat/export": "a Markdown download, not an HTML page",
}


def _html_get_routes() -> list[str]:
    """Every GET route of the page routers the app mounts (install_pages, the auth pages)."""
    routers = [module.router for module in PAGE_MODULES]  # login/logout included
    return sorted(
        {
            route.path
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute) and "GET" in route.methods
        }
    )


def _route_pattern(route: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route)) + "$")


def test_the_audit_covers_every_html_route() -> None:
    """A page route the audit never opens (a new page) fails here, before any browser."""
    audited = {p.split("?")[0] for p in (*ANONYMOUS_PAGES, *USER_PAGES, *ADMIN_PAGES)}
    routes = _html_get_routes()
    assert "/admin/users" in routes and "/login" in routes, routes  # the walk finds them
    missing = [
        route
        for route in routes
        if route not in NOT_PAGES
        and not any(_route_pattern(route).match(path.format(feedback="x")) for path in audited)
    ]
    assert missing == [], f"pages the layout audit does not open: {missing}"
    assert set(NOT_PAGES) <= set(routes), "NOT_PAGES names a route that no longer exists"


def _seed_report(db_url: str) -> str:
    """A stored turn of the user's and a gap report about it (for the triage pages)."""
    seed_session(db_url, USER_EMAIL, "session-layout", "Who signs the charter?", "The sponsor.")
    with psycopg.connect(db_url) as conn:
        actor = actor_for(get_user_by_email(conn, USER_EMAIL))
        body = {
            "sessionId": "session-layout",
            "userQuestion": "Who signs the charter?",
            "aiResponse": "The sponsor.",
            "userComment": "Which sponsor? There are two in the RACI.",
            "sopId": "SOP-002",
        }
        key = file_gap_report(conn, actor, body).feedback_id
        # a second SOP version (the history diff) and a pending proposal (the review form)
        sop = get_human_sop(conn, SYSTEM, "SOP-002")
        edited = sop.markdown.rstrip("\n") + "\n\n## Layout note\nOne more line.\n"
        edit_sop(conn, SYSTEM, {"sopId": "SOP-002", "markdownContent": edited, "type": "human"})
        change = {"section": "Objectives", "originalContent": "", "suggestedContent": "- More"}
        proposal = {"sopId": "SOP-002", "triggerQuery": "Why?", "proposedChange": change}
        create_proposal(conn, SYSTEM, proposal)
        return key


def _audit(
    ui: Ui, paths: tuple[str, ...], role: str, shots: Path, ids: dict[str, str]
) -> list[str]:
    problems: list[str] = []
    page = ui.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for template in paths:
            path = template.format(**ids)
            status = EXPECTED_ERRORS.get((role, template))
            if status:
                ui.expect_status(status, path.split("?")[0])
            response = page.goto(ui.url(path), wait_until="load")
            expected = status or 200
            if response.status != expected:
                problems.append(f"{role} {width}px {path}: HTTP {response.status}")
            name = f"{role}-{width}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}"
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            problems.extend(f"{role} {width}px {path}: {p}" for p in page.evaluate(AUDIT_JS))
    return problems


def _role_ui(browser: Any, live_server: LiveServer, name: str) -> tuple[Any, Ui]:
    context = browser.new_context(base_url=live_server.base_url)
    context.set_default_timeout(TIMEOUT_MS)
    ui = Ui(page=context.new_page(), base_url=live_server.base_url, name=name)
    _watch(ui)
    return context, ui


def _check_the_audit_sees_a_defect(ui: Ui) -> None:
    """The audit itself can fail: the issue's own example (#5b6675 on #1d4ed8, 1.15:1) and a
    page wider than the viewport are reported."""
    ui.page.evaluate(
        """() => { const p = document.createElement("p");
        p.innerHTML = '<span style="color:#5b6675;background:#1d4ed8">User</span>';
        p.style.width = "3000px"; document.querySelector("main").append(p); }"""
    )
    found = ui.page.evaluate(AUDIT_JS)
    assert any(p.startswith("contrast 1.1") and '"User"' in p for p in found), found
    assert any(p.startswith("horizontal scroll") for p in found), found


def test_every_page_layout_and_contrast_at_390_and_1366(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    ids = {"feedback": _seed_report(live_server.db_url)}
    problems: list[str] = []
    roles = (
        ("anonymous", None, ANONYMOUS_PAGES),
        ("user", (USER_EMAIL, USER_PASSWORD), USER_PAGES),
        ("admin", (ADMIN_EMAIL, ADMIN_PASSWORD), ADMIN_PAGES),
    )
    for role, credentials, paths in roles:
        context, ui = _role_ui(browser, live_server, f"layout-{role}")
        try:
            if credentials:
                ui.login(*credentials)
            problems.extend(_audit(ui, paths, role, tmp_path, ids))
            problems.extend(f"{role}: {p}" for p in ui.problems)
            if role == "admin":
                _check_the_audit_sees_a_defect(ui)
        finally:
            context.close()
    assert problems == [], "\n".join(problems)
