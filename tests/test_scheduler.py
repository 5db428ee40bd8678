"""``beat``: sets of recently active users are refreshed before they expire, others are not."""

from __future__ import annotations

import time
from datetime import timedelta

from portal_engine.models import Item, RecommendationSet, utcnow
from portal_engine.registry import load_plugins
from portal_engine.scheduler import refresh_due
from portal_engine.store import Store
from tests.fakes import FakeCelery, FakeTypes


async def _put(store: Store, user_id: str, expires_in: int, version: str) -> None:
    now = utcnow()
    rset = RecommendationSet(
        "alpha",
        user_id,
        [Item("c1", "One", 1, "r")],
        now,
        now + timedelta(seconds=expires_in),
        "llm",
        version=version,
    )
    await store.put_set(rset, max(expires_in, 1))


async def test_only_active_users_with_expiring_sets_are_refreshed(embedded_store: Store) -> None:
    """Active users whose set is missing or about to expire are refreshed; the rest are not."""
    plugins = load_plugins(only=(), strict=True, extra=[("fake", FakeTypes("alpha"))])
    rtype = plugins.types["alpha"]  # ttl 600: "about to expire" is within 120 s
    for user_id in ("expiring", "fresh", "missing"):
        await embedded_store.touch_user("alpha", user_id)
    await _put(embedded_store, "expiring", 60, rtype.fingerprint)
    await _put(embedded_store, "fresh", 500, rtype.fingerprint)
    await _put(embedded_store, "inactive", 60, rtype.fingerprint)  # never read: not active
    celery = FakeCelery()
    started = await refresh_due(embedded_store, plugins, celery, time.time())  # type: ignore[arg-type]
    assert started == 2
    assert sorted(sent["args"][1] for sent in celery.sent) == ["expiring", "missing"]


async def test_users_inactive_for_longer_than_the_interval_are_left_alone(
    embedded_store: Store,
) -> None:
    """A user who last read longer ago than refresh_interval is not refreshed any more."""
    plugins = load_plugins(only=(), strict=True, extra=[("fake", FakeTypes("alpha"))])
    await embedded_store.touch_user("alpha", "gone")
    later = time.time() + plugins.types["alpha"].refresh_interval + 60
    celery = FakeCelery()
    assert await refresh_due(embedded_store, plugins, celery, later) == 0  # type: ignore[arg-type]
    assert celery.sent == []
