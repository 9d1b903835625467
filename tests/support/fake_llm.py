"""A local HTTP server speaking the chat-completions protocol (http.server on 127.0.0.1).

Not a mock of our code: the real httpx client talks HTTP to it. `mode` picks the behaviour:
"ok" (JSON answer; `citations` as configured), "slow" (sleeps past the client timeout),
"error500", "malformed" (content that is not the requested JSON), "flaky" (500 once, then ok).
Every request body and header set is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLlm:
    def __init__(self) -> None:
        self.mode = "ok"
        self.answer = "Start with the **Project Charter** and hold the kick-off."
        self.citations: list[dict[str, Any]] = [
            {"sopId": "SOP-002", "section": "Deliverables", "quote": "Project Charter"}
        ]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.url = ""

    def content(self) -> str:
        return json.dumps({"answer": self.answer, "citations": self.citations})


def _handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fake.requests.append(json.loads(self.rfile.read(length) or b"{}"))
            fake.headers.append(dict(self.headers))
            mode = fake.mode
            if mode == "flaky":
                fake.mode = "ok"
                mode = "error500"
            if mode == "slow":
                time.sleep(1.5)
            if mode == "error500":
                self._send(500, b'{"error": {"message": "boom"}}')
                return
            content = (
                "Sure! Here is the answer: not json" if mode == "malformed" else fake.content()
            )
            body = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
            self._send(200, json.dumps(body).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def fake_llm_server() -> Iterator[FakeLlm]:
    """Serve a FakeLlm on a free 127.0.0.1 port for the duration of the block."""
    fake = FakeLlm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
