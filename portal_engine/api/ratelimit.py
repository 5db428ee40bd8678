"""Rate limiting per client, shared by every API process through Redis.

Each client (see :attr:`portal_engine.api.auth.Principal.client`) may make
``PORTAL_RATE_LIMIT`` requests; past that it gets 429 with ``Retry-After``. With
``PORTAL_REDIS_URL`` set the counts live in Redis under ``{namespace}:ratelimit:``, so every API
process draws on one budget per client. In embedded mode they live in this process's memory:
there is only one process, and the embedded store is fakeredis, which cannot run the Lua scripts
that keep the counts atomic on a real Redis.

The strategy is ``limits``' sliding-window counter: constant memory per client (a moving window
keeps an entry per request) and no burst of twice the limit at a window's edge (as a fixed
window allows). When the counts cannot be reached, requests are served: an outage of Redis is
answered by the endpoints that need it, not by refusing every request here.
"""

from __future__ import annotations

import math
import time
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from portal_engine.errors import ApiError
from portal_engine.settings import Settings

log = structlog.get_logger(__name__)

#: Seconds to serve requests unlimited after the storage failed, before trying it again: a
#: dead Redis then costs one failed call per pause, not one per request.
FAIL_OPEN_PAUSE = 5.0
#: Seconds the limiter waits for Redis; short, because a slow limiter slows every request.
STORAGE_TIMEOUT = 0.5

_STORAGE_ERRORS = (StorageError, redis.exceptions.RedisError, OSError)


class TooManyRequests(ApiError):
    """429: this client made more requests than ``PORTAL_RATE_LIMIT`` allows."""

    status = 429

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(
            f"too many requests from this client (the limit is {limit}); "
            f"retry after {retry_after} s"
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """``Retry-After``: whole seconds until this client may send again."""
        return {"Retry-After": str(self.retry_after)}


class RateLimiter:
    """Counts each client's requests against ``settings.rate_limit``.

    :meth:`open` in ``before_serving`` and :meth:`close` in ``after_serving``; :meth:`hit` per
    request. Does nothing when rate limiting is off (``PORTAL_RATE_LIMIT=off``).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._items: list[RateLimitItem] = (
            parse_many(settings.rate_limits) if settings.rate_limits else []
        )
        self._pool: aioredis.ConnectionPool | None = None
        self._strategy: SlidingWindowCounterRateLimiter | None = None
        self._paused_until = 0.0

    @property
    def enabled(self) -> bool:
        """True when requests are limited."""
        return bool(self._items)

    def open(self) -> None:
        """Create the storage: Redis when configured, else this process's memory."""
        if not self._items:
            return
        storage: Storage
        if self._settings.redis_url is None:
            storage = MemoryStorage()
        else:
            self._pool = aioredis.ConnectionPool.from_url(
                self._settings.redis_url,
                socket_connect_timeout=STORAGE_TIMEOUT,
                socket_timeout=STORAGE_TIMEOUT,
            )
            # Our own pool, so every URL form redis-py knows works (rediss://, unix://) and the
            # timeouts are the limiter's; the URI below is then only a scheme for limits.
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"{self._settings.namespace}:ratelimit",
                wrap_exceptions=True,
                **options,
            )
        self._strategy = SlidingWindowCounterRateLimiter(storage)

    async def close(self) -> None:
        """Close the Redis connections, if any."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

    async def hit(self, client: str) -> None:
        """Count one request of ``client``.

        Args:
            client: who is asking; a string without ``/`` (see ``Principal.client``).

        Raises:
            TooManyRequests: ``client`` is over the limit; it says when to retry.
        """
        if self._strategy is None or time.monotonic() < self._paused_until:
            return
        try:
            for item in self._items:
                if not await self._strategy.hit(item, client):
                    raise TooManyRequests(str(item), await self._retry_after(item, client))
        except _STORAGE_ERRORS as exc:
            self._paused_until = time.monotonic() + FAIL_OPEN_PAUSE
            log.warning(
                "rate-limit storage unreachable; serving requests unlimited for a while",
                error=type(exc).__name__,
                pause_seconds=FAIL_OPEN_PAUSE,
            )

    async def _retry_after(self, item: RateLimitItem, client: str) -> int:
        assert self._strategy is not None
        stats = await self._strategy.get_window_stats(item, client)
        return max(1, math.ceil(stats.reset_time - time.time()))
