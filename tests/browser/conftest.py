"""Browser tests: a real server (uvicorn in a thread) over a fresh seeded database per test,
driven by Debian's Chromium through Playwright.

Every test fails on a browser console error, an uncaught page error, a failed request, or an
HTTP response >= 400 that the test did not announce with `ui.expect_status(...)`. Each visited
page is screenshotted into test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web import create_app
from tests.browser.seed import ADMIN_EMAIL, ADMIN_PASSWORD, seed_all
from tests.support.app import settings_for
from tests.support.pg import TestServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running app: its base URL and what was seeded."""

    base_url: str
    db_url: str
    seeded: dict[str, list[str]]


@pytest.fixture(scope="session")
def seeded_template(
    pg_server: TestServer, template_db: str, fixtures_dir: Path
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """A migrated database seeded once per session (SOP indexing with embeddings takes tens of
    seconds on two cores); every test gets its own fresh copy of it."""
    name = pg_server.create_database(template=template_db)
    seeded = seed_all(pg_server.url(name).raw, fixtures_dir)
    yield name, seeded
    pg_server.drop_database(name)


@pytest.fixture
def seeded_db_url(
    pg_server: TestServer, seeded_template: tuple[str, dict[str, list[str]]]
) -> Iterator[DatabaseUrl]:
    """A fresh copy of the seeded database for one test."""
    name = pg_server.create_database(template=seeded_template[0])
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def live_server(
    seeded_db_url: DatabaseUrl,
    seeded_template: tuple[str, dict[str, list[str]]],
    tmp_path: Path,
) -> Iterator[LiveServer]:
    """uvicorn serving `create_app` over a fresh migrated, seeded database."""
    db_url = seeded_db_url
    seeded = seeded_template[1]
    app = create_app(settings_for(db_url, tmp_path, PMO_DB_POOL_MIN=1, PMO_DB_POOL_MAX=4))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start within 15 s")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", db_url.raw, seeded)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@dataclass
class Ui:
    """A page plus the problems seen on it, screenshots and small helpers for journeys."""

    page: Any
    base_url: str
    name: str
    problems: list[str] = field(default_factory=list)
    allowed: list[tuple[int, str]] = field(default_factory=list)
    shots: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def expect_status(self, status: int, path_part: str) -> None:
        """Announce an HTTP error the journey provokes on purpose (e.g. a 404 page)."""
        self.allowed.append((status, path_part))

    def is_allowed(self, status: int, url: str) -> bool:
        return any(status == s and part in url for s, part in self.allowed)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url(path), wait_until="load")
        self.shot()
        return response

    def shot(self, label: str = "") -> None:
        """Screenshot the current page into test-artifacts/screenshots/."""
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        suffix = f"-{re.sub(r'[^a-z0-9]+', '-', label.lower())}" if label else ""
        target = SCREENSHOTS / f"{self.name}-{self.shots:02d}{suffix}.png"
        self.page.screenshot(path=str(target), full_page=True)

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        """Log in through the real login page."""
        self.page.goto(self.url("/login"))
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/login" not in self.page.url, f"login as {email} failed"


def _watch(ui: Ui) -> None:
    page = ui.page

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        status = re.search(r"status of (\d{3})", text)
        location = (message.location or {}).get("url", "")
        if status and ui.is_allowed(int(status.group(1)), location or text):
            return
        ui.problems.append(f"console error: {text} ({location})")

    def on_response(response: Any) -> None:
        if response.status >= 400 and not ui.is_allowed(response.status, response.url):
            ui.problems.append(
                f"HTTP {response.status} for {response.request.method} {response.url}"
            )

    page.on("console", on_console)
    page.on("pageerror", lambda exc: ui.problems.append(f"page error: {exc}"))

    def on_failed(request: Any) -> None:
        # ERR_ABORTED is the browser cancelling a request itself (a navigation superseded a
        # pending favicon/XHR, or a download took over the navigation); not a failure.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        ui.problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)


def _new_ui(
    browser: Any, live_server: LiveServer, name: str, **context_options: Any
) -> Iterator[Ui]:
    context = browser.new_context(base_url=live_server.base_url, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    ui = Ui(page=page, base_url=live_server.base_url, name=name)
    _watch(ui)

    # Nothing may leave the machine: any request to another origin is a failure.
    def guard(route: Any) -> None:
        if not route.request.url.startswith(live_server.base_url):
            ui.problems.append(f"external request: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    yield ui
    try:
        ui.shot("final")
    finally:
        context.close()
    assert ui.problems == [], "browser problems:\n" + "\n".join(ui.problems)


@pytest.fixture
def ui(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A fresh browser context (no cookies) watching for console errors and failed requests."""
    yield from _new_ui(browser, live_server, request.node.name)


@pytest.fixture
def ui_no_js(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """The same, with JavaScript disabled."""
    yield from _new_ui(browser, live_server, request.node.name, java_script_enabled=False)
