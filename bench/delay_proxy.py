"""A loopback TCP proxy adding a fixed delay to every client→server message, in its own process.

    python -m bench.delay_proxy TARGET_PORT LISTEN_PORT [DELAY_SECONDS]

Stands in for a remote database (a 5 ms round trip to Neon). It runs in a process of its own:
run as a thread of the benchmark, its event loop waited for the loader's GIL before forwarding
each chunk (the loader's main thread is CPU-bound), which added up to a switch interval (5 ms)
per message on top of the delay: a cost a real network does not have.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from types import TracebackType

from pmo_playbook.db.cluster import free_port


async def _pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter, delay: float) -> None:
    """Forward each chunk `delay` after it arrived: latency added, bandwidth not limited."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            w.write(data)
            await w.drain()
        w.close()

    sender = asyncio.ensure_future(send())
    try:
        while data := await r.read(1 << 16):
            queue.put_nowait((loop.time() + delay, data))
    finally:
        queue.put_nowait((0.0, b""))
        await sender


async def serve(target_port: int, port: int, delay: float) -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(_pipe(reader, up_w, delay), _pipe(up_r, writer, 0.0))

    server = await asyncio.start_server(client, "127.0.0.1", port)
    await server.serve_forever()


class DelayProxy:
    """The proxy process: `with DelayProxy.start(target_port) as proxy: ... proxy.port`."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    @classmethod
    def start(cls, target_port: int, delay: float = 0.005) -> DelayProxy:
        port = free_port()
        args = [sys.executable, "-m", "bench.delay_proxy", str(target_port), str(port), str(delay)]
        proxy = cls(subprocess.Popen(args), port)
        deadline = time.monotonic() + 30
        while True:  # ready once it accepts a connection
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proxy
            except OSError as exc:
                if time.monotonic() > deadline or proxy.process.poll() is not None:
                    proxy.close()
                    raise RuntimeError("the delay proxy did not start") from exc
                time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def __enter__(self) -> DelayProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


if __name__ == "__main__":
    target, listen = int(sys.argv[1]), int(sys.argv[2])
    asyncio.run(serve(target, listen, float(sys.argv[3]) if len(sys.argv) > 3 else 0.005))
