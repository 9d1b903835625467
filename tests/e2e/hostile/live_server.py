"""The app served by a real uvicorn on 127.0.0.1 in a background thread (for tools that speak
HTTP, such as schemathesis)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web.app import create_app
from tests.support.app import settings_for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(url: DatabaseUrl, tmp_path: Path) -> Iterator[str]:
    """Serve the app over `url`; yields its base URL (http://127.0.0.1:PORT)."""
    port = _free_port()
    # a generous chat limit: the fuzzer asks hundreds of questions a minute
    settings = settings_for(url, tmp_path, PMO_CHAT_RATE_LIMIT_PER_MINUTE=100_000)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the live server did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
