"""Round trips per batch: the loader pipelines its statements (the remote-database case of bench/migrate.py).

A remote database (Neon) costs one network round trip every time the client waits for the
server, so the loader's time there grows with waits per batch. A loopback TCP proxy (plain
sockets, no delay) forwards the real suite's PostgreSQL traffic and counts the frontend messages
after which a client waits for the server: Sync and simple Query (each ends with
ReadyForQuery) and CopyDone (ends the COPY). Messages queued in a pipeline share one Sync.
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path
from typing import Any

import psycopg
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from tests.support.migration import source, write_dump

_UNTYPED = {80877103, 80877104}  # SSLRequest, GSSENCRequest: the startup message follows
_WAITS = {b"S", b"Q", b"c"}


class CountingProxy:
    """Forward one-to-one to PostgreSQL; count the client's waiting messages."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.waits = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def _upstream(self, client: socket.socket, server: socket.socket) -> None:
        """Forward client bytes, parsing the frontend protocol's message boundaries."""
        buf, started = b"", False
        try:
            while data := client.recv(1 << 16):
                server.sendall(data)
                buf += data
                while True:
                    if not started:
                        if len(buf) < 8:
                            break
                        (length,) = struct.unpack("!I", buf[:4])
                        if len(buf) < length:
                            break
                        code = struct.unpack("!I", buf[4:8])[0]
                        buf, started = buf[length:], code not in _UNTYPED
                        continue
                    if len(buf) < 5:
                        break
                    kind, (length,) = buf[:1], struct.unpack("!I", buf[1:5])
                    if len(buf) < 1 + length:
                        break
                    buf = buf[1 + length :]
                    if kind in _WAITS:
                        with self.lock:
                            self.waits += 1
        except OSError:
            pass
        finally:
            server.close()

    def url(self, url: DatabaseUrl) -> DatabaseUrl:
        params: dict[str, Any] = {**url.params, "host": "127.0.0.1", "port": str(self.port)}
        params["sslmode"] = "disable"
        return DatabaseUrl(psycopg.conninfo.make_conninfo(**params))

    def close(self) -> None:
        self.listener.close()


def _feedback(n: int) -> list[dict[str, Any]]:
    return [
        {
            "_id": ObjectId(f"{i + 1:024x}"),
            "messageId": f"m-{i}",
            "sessionId": "s-1",
            "rating": "helpful",
            "n": i,
        }
        for i in range(n)
    ]


def _waits(tmp: Path, url: DatabaseUrl, docs: int, batch: int) -> int:
    dump = write_dump(tmp, {"message_feedback": _feedback(docs)})
    proxy = CountingProxy(int(url.params.get("port", "5432")))
    try:
        report = migrate(proxy.url(url), source(dump), LoadOptions(batch_size=batch))
    finally:
        proxy.close()
    assert report.ok
    return proxy.waits


def test_each_batch_costs_at_most_six_round_trips(tmp_path: Path, db_url: DatabaseUrl) -> None:
    """Batch: CREATE+BEGIN, COPY (2), the statements after it, entries+checkpoint+COMMIT;
    run guard: 1. The difference between 14 and 6 batches of the same collection leaves out
    the per-run and per-collection cost (connection, plan, report) and psycopg's one-time
    statement preparation (at the 5th execution)."""
    few = _waits(tmp_path / "few", db_url, 6 * 50, 50)
    many = _waits(tmp_path / "many", db_url, 14 * 50, 50)
    per_batch = (many - few) / 8
    assert per_batch <= 6, f"{per_batch} waits per batch ({few} for 6 batches, {many} for 14)"
