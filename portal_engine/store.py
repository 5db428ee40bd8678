"""The Redis store: recommendation sets, refresh locks, task statuses and notifications.

Every key is written with a TTL. Values are JSON made by the one converter in
:mod:`portal_engine.models`, so what a worker stores, the API reads back unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import attrs
import msgspec
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from portal_engine.keys import Keys
from portal_engine.models import (
    Notification,
    RecommendationSet,
    TaskState,
    TaskStatus,
    converter,
    utcnow,
)
from portal_engine.settings import Settings

T = TypeVar("T")

#: Seconds between two activity writes for one (type, user) from one process.
TOUCH_EVERY = 60.0
#: (type, user) pairs whose last activity write a process remembers.
MAX_TOUCHED = 100_000

#: Notifications kept per user; older ones are dropped when a new one arrives.
MAX_NOTIFICATIONS = 100


def _dumps(value: Any) -> bytes:
    return json.dumps(converter.unstructure(value), separators=(",", ":")).encode()


def _loads(raw: bytes | str | None, cls: type[T]) -> T | None:
    if raw is None:
        return None
    return converter.structure(json.loads(raw), cls)


class _Freshness(msgspec.Struct):
    """The two fields a read needs to decide freshness, decoded without the rest."""

    expires_at: datetime
    version: str = ""


@attrs.frozen
class CachedSet:
    """A cached set as stored: its JSON, and what decides whether it is fresh.

    The API serves ``raw`` as it is when the set is fresh, so the hot read path neither
    structures nor re-serialises the set.
    """

    raw: bytes
    expires_at: datetime
    version: str

    def load(self) -> RecommendationSet:
        """The full set."""
        return converter.structure(json.loads(self.raw), RecommendationSet)


class Store:
    """All of Portal Engine's state in Redis, for the API and the workers alike.

    The client is made without ``decode_responses``, so Redis replies are bytes (redis-py
    annotates them ``bytes | str``); the casts below say so.
    """

    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = Keys(settings.namespace)
        # (type, user) -> when this process last wrote that user's activity (monotonic).
        self._touched: dict[tuple[str, str], float] = {}

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose(close_connection_pool=True)

    async def ping(self) -> bool:
        """True when Redis answers."""
        return bool(await self.redis.ping())

    # -- recommendation sets -------------------------------------------------------------

    async def get_set(self, type_name: str, user_id: str) -> RecommendationSet | None:
        """The cached set of (type, user), or ``None``."""
        raw = await self.redis.get(self.keys.recommendation_set(type_name, user_id))
        return _loads(raw, RecommendationSet)

    async def read_set(self, type_name: str, user_id: str) -> CachedSet | None:
        """Read the cached set of (type, user), noting the user as active.

        Activity is written at most once a minute per (type, user) and process: ``beat`` needs
        it to the minute at best, and a plain GET keeps the hot path to one short command.
        """
        key = self.keys.recommendation_set(type_name, user_id)
        now = time.monotonic()
        if now - self._touched.get((type_name, user_id), -TOUCH_EVERY) < TOUCH_EVERY:
            raw = await self.redis.get(key)
        else:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                self._queue_touch(pipe, type_name, user_id)
                raw, *_ = await pipe.execute()
            if len(self._touched) >= MAX_TOUCHED:
                self._touched.clear()  # a crude bound: forgetting only costs an extra write
            self._touched[(type_name, user_id)] = now
        if raw is None:
            return None
        raw = cast(bytes, raw)  # the client does not decode responses
        meta = msgspec.json.decode(raw, type=_Freshness)
        return CachedSet(raw=raw, expires_at=meta.expires_at, version=meta.version)

    async def put_set(self, recommendation_set: RecommendationSet, ttl: int) -> None:
        """Store a set, replacing the previous one.

        It is fresh for ``ttl`` seconds and kept ``max_stale`` seconds longer, so it can be
        served stale while a refresh runs or after a refresh failed.
        """
        key = self.keys.recommendation_set(recommendation_set.type, recommendation_set.user_id)
        ex = max(ttl, 1) + self.settings.max_stale
        await self.redis.set(key, _dumps(attrs.evolve(recommendation_set, stale=False)), ex=ex)

    async def delete_set(self, type_name: str, user_id: str) -> None:
        """Forget the cached set of (type, user)."""
        await self.redis.delete(self.keys.recommendation_set(type_name, user_id))

    async def dismiss(self, type_name: str, user_id: str, item_id: str) -> bool:
        """Hide ``item_id`` from ``user_id`` for good and drop it from the cached set.

        Returns:
            True when the item was in the cached set.
        """
        key = self.keys.dismissed(type_name, user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, item_id)
            pipe.expire(key, self.settings.dismissal_ttl)
            await pipe.execute()
        current = await self.get_set(type_name, user_id)
        if current is None or all(item.id != item_id for item in current.items):
            return False
        kept = [item for item in current.items if item.id != item_id]
        # xx: if the set expired meanwhile there is nothing to fix; keepttl: same lifetime.
        await self.redis.set(
            self.keys.recommendation_set(type_name, user_id),
            _dumps(attrs.evolve(current, items=kept)),
            xx=True,
            keepttl=True,
        )
        return True

    async def dismissed(self, type_name: str, user_id: str) -> set[str]:
        """The ids ``user_id`` has dismissed for ``type_name``."""
        members = await self.redis.smembers(self.keys.dismissed(type_name, user_id))
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    # -- single-flight refresh locks -------------------------------------------------------

    async def claim_refresh(self, type_name: str, user_id: str, task_id: str) -> str | None:
        """Take the refresh lock of (type, user) for ``task_id``.

        Returns:
            ``None`` when the lock was taken (the caller must start the task), else the id of
            the task that already holds it.
        """
        key = self.keys.refresh_lock(type_name, user_id)
        ttl = self.settings.lock_ttl
        for _ in range(3):
            if await self.redis.set(key, task_id, nx=True, ex=ttl):
                return None
            holder = await self.redis.get(key)
            if holder is not None:
                return holder.decode() if isinstance(holder, bytes) else str(holder)
            # the holder released it between our SET and GET: try again
        return None if await self.redis.set(key, task_id, nx=True, ex=ttl) else task_id

    async def release_refresh(self, type_name: str, user_id: str, task_id: str) -> None:
        """Release the lock of (type, user) if ``task_id`` still holds it."""
        await self._if_holder(type_name, user_id, task_id, lambda pipe, key: pipe.delete(key))

    async def linger_refresh(
        self, type_name: str, user_id: str, task_id: str, seconds: int
    ) -> None:
        """Let the lock of (type, user) expire in ``seconds`` if ``task_id`` still holds it.

        A finished refresh keeps its lock a moment: a reader that found no set just before it
        was stored then gets this task (success, then a 200) instead of starting another.
        """
        await self._if_holder(
            type_name, user_id, task_id, lambda pipe, key: pipe.expire(key, seconds)
        )

    async def _if_holder(
        self,
        type_name: str,
        user_id: str,
        task_id: str,
        action: Callable[[Pipeline, str], object],
    ) -> None:
        """Apply ``action`` to the lock, atomically, only while ``task_id`` holds it."""
        key = self.keys.refresh_lock(type_name, user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                holder = await pipe.get(key)
                if holder is not None and cast(bytes, holder).decode() == task_id:
                    # redis-py leaves the asyncio Pipeline.multi unannotated.
                    pipe.multi()  # type: ignore[no-untyped-call]
                    action(pipe, key)
                    await pipe.execute()
            except aioredis.WatchError:
                pass  # someone else changed the lock meanwhile: it is no longer ours

    # -- task statuses ---------------------------------------------------------------------

    async def put_status(
        self,
        task_id: str,
        state: TaskState,
        type_name: str,
        user_id: str,
        error: str | None = None,
    ) -> TaskStatus:
        """Record where task ``task_id`` is."""
        status = TaskStatus(task_id, state, type_name, user_id, error, utcnow())
        await self.redis.set(
            self.keys.task_status(task_id), _dumps(status), ex=self.settings.status_ttl
        )
        return status

    async def count_delivery(self, task_id: str) -> int:
        """Count one more delivery of task ``task_id``; return how many there have been."""
        key = self.keys.deliveries(task_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.settings.status_ttl)
            count, _ = await pipe.execute()
        return int(count)

    async def get_status(self, task_id: str) -> TaskStatus | None:
        """The status of task ``task_id``, or ``None`` when unknown or expired."""
        return _loads(await self.redis.get(self.keys.task_status(task_id)), TaskStatus)

    async def remember_unknown_user(self, type_name: str, user_id: str, message: str) -> None:
        """Remember for a minute that an upstream does not know ``user_id``, so reads say 404."""
        await self.redis.set(self.keys.unknown_user(type_name, user_id), message, ex=60)

    async def unknown_user(self, type_name: str, user_id: str) -> str | None:
        """Why ``user_id`` is unknown, if a refresh found out recently; else ``None``."""
        raw = await self.redis.get(self.keys.unknown_user(type_name, user_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    # -- activity (for scheduled refreshes) ------------------------------------------------

    async def touch_user(self, type_name: str, user_id: str) -> None:
        """Remember that ``user_id`` asked for ``type_name`` now."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self._queue_touch(pipe, type_name, user_id)
            await pipe.execute()

    def _queue_touch(self, pipe: Pipeline, type_name: str, user_id: str) -> None:
        """Add the activity write of (type, user) to ``pipe``, keeping the key's TTL."""
        key = self.keys.active_users(type_name)
        pipe.zadd(key, {user_id: time.time()})
        pipe.expire(key, self.settings.status_ttl)

    async def active_users(self, type_name: str, since: float) -> list[str]:
        """Users who asked for ``type_name`` after the Unix time ``since``."""
        key = self.keys.active_users(type_name)
        await self.redis.zremrangebyscore(key, "-inf", f"({since}")
        members = cast(list[bytes], await self.redis.zrangebyscore(key, since, "+inf"))
        return [m.decode() for m in members]

    # -- notifications ---------------------------------------------------------------------

    async def add_notification(
        self, user_id: str, kind: str, title: str, body: str, data: dict[str, Any] | None = None
    ) -> Notification:
        """Store a new unread notification for ``user_id`` and return it."""
        note = Notification(
            id=uuid.uuid4().hex,
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            created_at=utcnow(),
            data=data or {},
        )
        await self._write_notification(note, created=time.time())
        index = self.keys.notification_index(user_id)
        stale = await self.redis.zrange(index, 0, -MAX_NOTIFICATIONS - 1)
        if stale:
            await self.redis.zrem(index, *stale)
            await self.redis.hdel(self.keys.notifications(user_id), *stale)
        return note

    async def _write_notification(self, note: Notification, created: float | None) -> None:
        data_key = self.keys.notifications(note.user_id)
        index = self.keys.notification_index(note.user_id)
        ttl = self.settings.notification_ttl
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(data_key, note.id, _dumps(note))
            if created is not None:
                pipe.zadd(index, {note.id: created})
            pipe.expire(data_key, ttl)
            pipe.expire(index, ttl)
            await pipe.execute()

    async def list_notifications(self, user_id: str, limit: int) -> tuple[list[Notification], int]:
        """The newest ``limit`` notifications of ``user_id`` and the count of unread ones."""
        ids = cast(
            list[bytes], await self.redis.zrevrange(self.keys.notification_index(user_id), 0, -1)
        )
        if not ids:
            return [], 0
        raws = await self.redis.hmget(self.keys.notifications(user_id), ids)
        notes = [n for n in (_loads(raw, Notification) for raw in raws) if n is not None]
        unread = sum(1 for note in notes if not note.read)
        return notes[:limit], unread

    async def get_notification(self, user_id: str, notification_id: str) -> Notification | None:
        """One notification of ``user_id``, or ``None`` when it is not theirs or is gone."""
        raw = await self.redis.hget(self.keys.notifications(user_id), notification_id)
        return _loads(raw, Notification)

    async def mark_read(self, user_id: str, notification_id: str) -> Notification | None:
        """Mark a notification read; ``None`` when it is not ``user_id``'s."""
        note = await self.get_notification(user_id, notification_id)
        if note is None:
            return None
        note = attrs.evolve(note, read=True)
        await self._write_notification(note, created=None)
        return note

    async def delete_notification(self, user_id: str, notification_id: str) -> bool:
        """Delete a notification; False when it is not ``user_id``'s."""
        removed = await self.redis.hdel(self.keys.notifications(user_id), notification_id)
        await self.redis.zrem(self.keys.notification_index(user_id), notification_id)
        return bool(removed)
