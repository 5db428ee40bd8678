"""One event loop per worker process, alive as long as the process, with its clients.

Celery calls tasks synchronously. Instead of ``asyncio.run`` per task (a new loop each time,
which breaks clients bound to the old one), each process runs one loop in a daemon thread and
hands it coroutines. The loop owns the process's one httpx client and one Redis client. After
a fork (prefork pool) the child notices the new pid and starts its own.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from portal_engine.pipeline import Deps
from portal_engine.redis_client import connect
from portal_engine.registry import Plugins
from portal_engine.settings import Settings
from portal_engine.store import Store

T = TypeVar("T")


class WorkerRuntime:
    """The long-lived loop and clients of one worker process."""

    def __init__(self, settings: Settings, plugins: Plugins) -> None:
        self.settings = settings
        self.plugins = plugins
        self._lock = threading.Lock()
        self._pid = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deps: Deps | None = None

    def _start(self) -> tuple[asyncio.AbstractEventLoop, Deps]:
        with self._lock:
            if self._pid == os.getpid() and self._loop is not None and self._deps is not None:
                return self._loop, self._deps
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="portal-worker-loop", daemon=True
            )
            thread.start()

            async def open_deps() -> Deps:
                http = httpx.AsyncClient(
                    timeout=httpx.Timeout(self.settings.upstream_timeout),
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                    headers={"User-Agent": "portal-engine"},
                )
                store = Store(connect(self.settings), self.settings)
                return Deps(self.settings, self.plugins, store, http)

            deps = asyncio.run_coroutine_threadsafe(open_deps(), loop).result()
            self._pid, self._loop, self._deps = os.getpid(), loop, deps
            return loop, deps

    def run(self, work: Callable[[Deps], Awaitable[T]]) -> T:
        """Run ``work(deps)`` on the process's loop and wait for it.

        If the waiting thread is interrupted (Celery's soft time limit), the coroutine is
        cancelled too, so nothing keeps running for a task that is over.
        """
        loop, deps = self._start()

        async def wrapped() -> T:
            return await work(deps)

        future = asyncio.run_coroutine_threadsafe(wrapped(), loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Close the clients and stop the loop (at worker shutdown)."""
        with self._lock:
            loop, deps = self._loop, self._deps
            if loop is None or deps is None or self._pid != os.getpid():
                return

            async def close_deps() -> None:
                await deps.http.aclose()
                await deps.store.close()

            try:
                asyncio.run_coroutine_threadsafe(close_deps(), loop).result(timeout=5)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                self._loop = self._deps = None
