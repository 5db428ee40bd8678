"""Starting refreshes: one task per (type, user), however many ask, and honest take-overs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_engine.errors import ServiceUnavailable
from portal_engine.models import Item, RecommendationSet, utcnow
from portal_engine.refreshes import LOCK_LINGER, start_refresh
from portal_engine.store import Store
from tests.fakes import FakeCelery, fake_type

RTYPE = fake_type("alpha")


async def _finish(store: Store, task_id: str, *, with_set: bool = True) -> None:
    """Play the worker: store a set, let the lock linger, record success."""
    if with_set:
        now = utcnow()
        await store.put_set(
            RecommendationSet(
                "alpha", "u1", [Item("c1", "One", 1, "r")], now, now + timedelta(hours=1), "llm"
            ),
            3600,
        )
    await store.linger_refresh("alpha", "u1", task_id, LOCK_LINGER)
    await store.put_status(task_id, "success", "alpha", "u1")


async def test_a_running_refresh_is_shared(embedded_store: Store) -> None:
    """A second caller, forced or not, gets the running task instead of a new one."""
    celery = FakeCelery()
    first = await start_refresh(embedded_store, celery, RTYPE, "u1")  # type: ignore[arg-type]
    assert await start_refresh(embedded_store, celery, RTYPE, "u1") == first  # type: ignore[arg-type]
    assert await start_refresh(embedded_store, celery, RTYPE, "u1", force=True) == first  # type: ignore[arg-type]
    assert len(celery.sent) == 1
    assert celery.sent[0]["queue"] == "portal.alpha" and celery.sent[0]["args"] == ["alpha", "u1"]


async def test_a_finished_refresh_answers_late_readers(embedded_store: Store) -> None:
    """Just after a refresh stored its set, readers get that finished task, not a new one."""
    celery = FakeCelery()
    first = await start_refresh(embedded_store, celery, RTYPE, "u1")  # type: ignore[arg-type]
    await _finish(embedded_store, first)
    assert await start_refresh(embedded_store, celery, RTYPE, "u1") == first  # type: ignore[arg-type]
    assert len(celery.sent) == 1


@pytest.mark.parametrize("case", ["forced", "set deleted"])
async def test_a_finished_refresh_is_taken_over_when_it_answers_nothing_new(
    embedded_store: Store, case: str
) -> None:
    """A forced refresh, or a read after the set was deleted, starts a new task."""
    celery = FakeCelery()
    first = await start_refresh(embedded_store, celery, RTYPE, "u1")  # type: ignore[arg-type]
    await _finish(embedded_store, first)
    if case == "set deleted":
        await embedded_store.delete_set("alpha", "u1")
    second = await start_refresh(
        embedded_store,
        celery,
        RTYPE,
        "u1",  # type: ignore[arg-type]
        force=case == "forced",
    )
    assert second != first and len(celery.sent) == 2


async def test_broker_down_is_503_and_leaves_no_lock(embedded_store: Store) -> None:
    """When the broker cannot take the task the caller gets 503 and the next try is free."""
    with pytest.raises(ServiceUnavailable, match="broker"):
        await start_refresh(embedded_store, FakeCelery(down=True), RTYPE, "u1")  # type: ignore[arg-type]
    lock = await embedded_store.redis.get(embedded_store.keys.refresh_lock("alpha", "u1"))
    assert lock is None
    celery = FakeCelery()
    await start_refresh(embedded_store, celery, RTYPE, "u1")  # type: ignore[arg-type]
    assert len(celery.sent) == 1
