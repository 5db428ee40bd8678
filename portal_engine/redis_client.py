"""Opening the Redis client: the real server, or the embedded in-process one.

The embedded store is fakeredis on one process-wide server, so the API and an in-process worker
(each on its own event loop) see the same data; the store code is the same in both modes.
"""

from __future__ import annotations

import functools

import fakeredis
import redis.asyncio as aioredis

from portal_engine.settings import Settings


@functools.cache
def embedded_server() -> fakeredis.FakeServer:
    """The one in-process Redis server of this process."""
    return fakeredis.FakeServer()


def connect(settings: Settings) -> aioredis.Redis:
    """Return a Redis client for ``settings`` (no I/O happens until the first command)."""
    if settings.redis_url is None:
        return fakeredis.FakeAsyncRedis(server=embedded_server())
    # A blocking pool: under a burst, requests wait a moment for a free connection instead of
    # failing with "Too many connections" (which read as "Redis is down" to clients).
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=2.0,
        socket_connect_timeout=2.0,
        # Our commands take milliseconds. With 5 s, a Redis that went silent (a network
        # partition) held each API request for 10 s (one retry on timeout) before its 503.
        socket_timeout=2.0,
        health_check_interval=15,
        retry_on_timeout=True,
    )
    return aioredis.Redis(connection_pool=pool)
