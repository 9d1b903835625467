"""Issuing an API token (or a password) is redirect-after-POST: the token is shown once on the
GET the POST redirected to, and reloading that page neither re-POSTs the form (no second token)
nor shows the token again. Before, the token was rendered in the POST's response, so a reload
re-submitted the form and issued another token."""

from __future__ import annotations

import psycopg
import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL

pytestmark = pytest.mark.browser


def _active_tokens(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM api_tokens t JOIN users u USING (user_id)"
            " WHERE u.email = %s AND t.revoked_at IS NULL",
            (USER_EMAIL,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_reloading_after_issuing_a_token_does_not_issue_another(
    ui: Ui, live_server: LiveServer
) -> None:
    ui.login()
    ui.goto("/admin/users")
    page = ui.page
    card = page.locator(f'[data-user="{USER_EMAIL}"]')
    card.get_by_label("Token name").fill("nightly export")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with page.expect_navigation() as navigation:
        card.get_by_role("button", name="Issue token").click()
    response = navigation.value
    assert response is not None and response.request.method == "GET", "no redirect-after-POST"
    assert response.headers.get("cache-control") == "no-store"
    token = page.locator("[data-secret] .secret-value").inner_text()
    assert len(token) >= 20
    assert _active_tokens(live_server.db_url) == 1
    posts.clear()
    page.reload(wait_until="load")
    assert posts == [], f"the reload re-submitted the form: {posts}"
    assert page.locator("[data-secret]").count() == 0
    assert token not in page.content()
    assert _active_tokens(live_server.db_url) == 1
    # the ticket cookie is gone: nothing lets the secret be shown a second time
    names = [c["name"] for c in page.context.cookies()]
    assert "pmo_secret_ticket" not in names, names
