"""A TCP proxy the end-to-end tests put between a process and Redis or RabbitMQ, to cut and
restore the connection at will.

It runs an asyncio loop in a daemon thread of the test process, so a test drives it with plain
calls::

    with TcpProxy("127.0.0.1", 6379) as proxy:
        env["PORTAL_REDIS_URL"] = f"redis://127.0.0.1:{proxy.port}/0"
        ...
        proxy.cut()       # open connections are closed, new ones refused
        proxy.restore()   # connections go through again

``cut()`` acts like a server that stopped: open connections are closed (FIN) and new ones are
refused. ``cut("reset")`` closes them with a TCP reset instead, as after a crash or a network
fault. ``cut("blackhole")`` acts like a host that went silent: connections are accepted (and
open ones kept) but no byte goes through in either direction, so clients only notice by timing
out.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Coroutine
from contextlib import suppress
from typing import Any, Literal

Mode = Literal["refuse", "reset", "blackhole"]


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target_host:target_port`` until cut."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self.mode: Mode | None = None
        self.accepted = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    # -- the test's side (any thread) -----------------------------------------------------

    def start(self) -> TcpProxy:
        """Start listening; picks a free port when none was given."""
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        """Stop listening, drop every connection and end the thread."""
        if not self._thread.is_alive():
            return
        self._call(self._shutdown(listen_again=False, reset=True))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self, mode: Mode = "refuse") -> None:
        """Make the target unreachable.

        ``refuse``: close every open connection and stop listening (clients read EOF, then get
        ECONNREFUSED), as from a stopped server. ``reset``: the same, but open connections get a
        TCP reset. ``blackhole``: keep accepting, forward nothing (clients time out), as with a
        host that vanished from the network.
        """
        self.mode = mode
        if mode != "blackhole":
            self._call(self._shutdown(listen_again=False, reset=mode == "reset"))

    def restore(self) -> None:
        """Forward again; clients must reconnect (old connections stay dead)."""
        previous, self.mode = self.mode, None
        if previous == "blackhole":
            self._call(self._shutdown(listen_again=True, reset=True))
        elif previous is not None:
            self._call(self._listen())

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    # -- the loop's side ------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self, *, listen_again: bool, reset: bool) -> None:
        if self._server is not None and not listen_again:
            self._server.close()
            self._server = None
        for task in list(self._pumps):
            task.cancel()
        for writer in list(self._writers):
            if reset:
                _reset(writer)
            else:
                writer.close()
        self._writers.clear()
        await asyncio.sleep(0.05)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        if self.mode == "blackhole":
            return  # keep the socket open and silent until restore() or close()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self._writers.add(up_writer)
        for task in (
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ):
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.mode == "blackhole":
                    continue  # swallow: nothing gets through while the host is "gone"
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # One side closed or failed: close the other side too (gracefully).
            writer.close()
            self._writers.discard(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed server's kernel would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
