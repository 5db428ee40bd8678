"""Tests for :mod:`portal_engine.store` on the real Redis, each in a namespace of its own."""

from __future__ import annotations

import asyncio
import time
import types
from datetime import timedelta

import pytest

from portal_engine import store as store_module
from portal_engine.models import Item, RecommendationSet, utcnow
from portal_engine.store import MAX_NOTIFICATIONS, Store

pytestmark = pytest.mark.redis

USER = "user:1 *?[x]"  # separators and glob characters must not matter


def make_set(type_name: str = "dining", user_id: str = USER, n: int = 2) -> RecommendationSet:
    now = utcnow()
    return RecommendationSet(
        type=type_name,
        user_id=user_id,
        items=[
            Item(f"r{i}", f"Place {i}", 1.0 - i / 10, f"Reason {i}.", {"cuisine": "deli", "n": i})
            for i in range(n)
        ],
        generated_at=now,
        expires_at=now + timedelta(seconds=600),
        source="llm",
        missing_context=["customer"],
        version="1.0/1",
    )


async def _keys(store: Store) -> list[bytes]:
    return [key async for key in store.redis.scan_iter(match=f"{store.settings.namespace}:*")]


# -- recommendation sets -------------------------------------------------------------------


async def test_set_round_trip(store: Store) -> None:
    """A stored set reads back equal, field for field, for its own (type, user) only."""
    stored = make_set()
    await store.put_set(stored, 600)
    assert await store.get_set("dining", USER) == stored
    assert await store.get_set("events", USER) is None
    assert await store.get_set("dining", "user:1") is None


async def test_put_set_replaces_the_previous_set(store: Store) -> None:
    """Storing a new set for the same (type, user) replaces the old one."""
    await store.put_set(make_set(n=3), 600)
    newer = make_set(n=1)
    await store.put_set(newer, 600)
    assert await store.get_set("dining", USER) == newer


async def test_put_set_applies_the_ttl(store: Store) -> None:
    """A set is kept for its freshness TTL plus the stale window, then expires."""
    await store.put_set(make_set(), 600)
    ttl = await store.redis.ttl(store.keys.recommendation_set("dining", USER))
    longest = 600 + store.settings.max_stale
    assert longest - 10 <= ttl <= longest


async def test_put_set_never_stores_without_expiry(store: Store) -> None:
    """A zero TTL still gives the key an expiry instead of keeping it forever."""
    await store.put_set(make_set(), 0)
    assert await store.redis.ttl(store.keys.recommendation_set("dining", USER)) > 0


async def test_delete_set(store: Store) -> None:
    """A deleted set is gone; other users' sets are untouched."""
    await store.put_set(make_set(), 600)
    await store.put_set(make_set(user_id="other"), 600)
    await store.delete_set("dining", USER)
    assert await store.get_set("dining", USER) is None
    assert await store.get_set("dining", "other") is not None


# -- refresh locks -------------------------------------------------------------------------


async def test_concurrent_claims_have_exactly_one_winner(store: Store) -> None:
    """Of 50 simultaneous claims for one (type, user), one wins; the rest learn its task id."""
    task_ids = [f"task-{n}" for n in range(50)]
    results = await asyncio.gather(
        *(store.claim_refresh("dining", USER, task_id) for task_id in task_ids)
    )
    winners = [task_id for task_id, result in zip(task_ids, results, strict=True) if result is None]
    assert len(winners) == 1
    assert {result for result in results if result is not None} == set(winners)
    assert results.count(winners[0]) == 49


async def test_claims_for_different_pairs_do_not_block_each_other(store: Store) -> None:
    """A lock on one (type, user) does not stop another user or another type."""
    assert await store.claim_refresh("dining", USER, "t1") is None
    assert await store.claim_refresh("dining", "user:2", "t2") is None
    assert await store.claim_refresh("events", USER, "t3") is None
    assert await store.claim_refresh("dining", USER, "t4") == "t1"


async def test_lock_has_the_lock_ttl(store: Store) -> None:
    """A lock expires after ``lock_ttl``, so a crashed worker never blocks refreshes for good."""
    await store.claim_refresh("dining", USER, "t1")
    ttl = await store.redis.ttl(store.keys.refresh_lock("dining", USER))
    assert 0 < ttl <= store.settings.lock_ttl


async def test_release_only_by_the_holder(store: Store) -> None:
    """Only the task holding the lock can release it; after that a new claim wins."""
    assert await store.claim_refresh("dining", USER, "holder") is None
    await store.release_refresh("dining", USER, "intruder")
    assert await store.claim_refresh("dining", USER, "next") == "holder"
    await store.release_refresh("dining", USER, "holder")
    assert await store.claim_refresh("dining", USER, "next") is None


# -- task statuses -------------------------------------------------------------------------


async def test_status_round_trip(store: Store) -> None:
    """A recorded status reads back equal, and lives for ``status_ttl``."""
    written = await store.put_status("task/1", "failure", "dining", USER, error="LIE: down")
    assert await store.get_status("task/1") == written
    assert written.state == "failure" and written.error == "LIE: down"
    ttl = await store.redis.ttl(store.keys.task_status("task/1"))
    assert store.settings.status_ttl - 10 <= ttl <= store.settings.status_ttl


async def test_status_updates_replace_the_old_state(store: Store) -> None:
    """The latest state of a task is the one read back; unknown tasks read as None."""
    await store.put_status("t1", "pending", "dining", USER)
    await store.put_status("t1", "success", "dining", USER)
    status = await store.get_status("t1")
    assert status is not None and status.state == "success" and status.error is None
    assert await store.get_status("t2") is None


# -- unknown users and activity ------------------------------------------------------------


async def test_unknown_user_is_remembered_briefly(store: Store) -> None:
    """A user an upstream does not know is remembered, with why, for about a minute."""
    assert await store.unknown_user("dining", USER) is None
    await store.remember_unknown_user("dining", USER, "profile: user 'x' is not known")
    assert await store.unknown_user("dining", USER) == "profile: user 'x' is not known"
    assert await store.unknown_user("events", USER) is None
    assert await store.unknown_user("dining", "someone-else") is None
    assert 0 < await store.redis.ttl(store.keys.unknown_user("dining", USER)) <= 60


async def test_active_users_window(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Users who asked after ``since`` are active; older ones are dropped from the index."""
    clock = types.SimpleNamespace(time=lambda: 1_000.0)
    monkeypatch.setattr(store_module, "time", clock)
    await store.touch_user("dining", "old")
    clock.time = lambda: 2_000.0
    await store.touch_user("dining", "new")
    await store.touch_user("dining", "zoë ✓")
    await store.touch_user("events", "other-type")

    assert sorted(await store.active_users("dining", 1_500.0)) == ["new", "zoë ✓"]
    assert sorted(await store.active_users("dining", 0.0)) == ["new", "zoë ✓"]
    assert await store.active_users("dining", 2_000.5) == []
    assert await store.active_users("events", 1_500.0) == ["other-type"]


async def test_touching_again_keeps_a_user_active(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user who asks again moves forward in the window instead of appearing twice."""
    clock = types.SimpleNamespace(time=lambda: 1_000.0)
    monkeypatch.setattr(store_module, "time", clock)
    await store.touch_user("dining", "u")
    clock.time = lambda: 3_000.0
    await store.touch_user("dining", "u")
    assert await store.active_users("dining", 2_000.0) == ["u"]


# -- notifications -------------------------------------------------------------------------


async def _notify(store: Store, user_id: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        note = await store.add_notification(user_id, "recommendations_ready", f"T{i}", f"B{i}")
        ids.append(note.id)
    return ids


async def test_notifications_newest_first_with_unread_count(store: Store) -> None:
    """A user's notifications list newest first, with how many are unread."""
    ids = await _notify(store, USER, 3)
    notes, unread = await store.list_notifications(USER, 10)
    assert [note.id for note in notes] == ids[::-1]
    assert [note.title for note in notes] == ["T2", "T1", "T0"]
    assert unread == 3
    assert all(note.user_id == USER and not note.read for note in notes)

    limited, unread = await store.list_notifications(USER, 2)
    assert [note.id for note in limited] == ids[:0:-1]
    assert unread == 3


async def test_notification_data_round_trip(store: Store) -> None:
    """A notification reads back with its kind, texts and data."""
    note = await store.add_notification(
        USER, "recommendations_ready", "Ready", "3 new", {"type": "dining", "items": 3}
    )
    assert await store.get_notification(USER, note.id) == note
    assert note.data == {"type": "dining", "items": 3}


async def test_mark_read(store: Store) -> None:
    """Marking one read lowers the unread count and keeps its place in the list."""
    ids = await _notify(store, USER, 3)
    marked = await store.mark_read(USER, ids[1])
    assert marked is not None and marked.read
    notes, unread = await store.list_notifications(USER, 10)
    assert unread == 2
    assert [note.id for note in notes] == ids[::-1]
    assert [note.read for note in notes] == [False, True, False]


async def test_delete_notification(store: Store) -> None:
    """A deleted notification is gone from the list and the count; deleting twice is False."""
    ids = await _notify(store, USER, 2)
    assert await store.delete_notification(USER, ids[0]) is True
    notes, unread = await store.list_notifications(USER, 10)
    assert [note.id for note in notes] == [ids[1]]
    assert unread == 1
    assert await store.delete_notification(USER, ids[0]) is False
    assert await store.get_notification(USER, ids[0]) is None


async def test_other_users_cannot_touch_a_notification(store: Store) -> None:
    """Another user can neither read, mark nor delete someone else's notification."""
    (note_id,) = await _notify(store, USER, 1)
    assert await store.get_notification("mallory", note_id) is None
    assert await store.mark_read("mallory", note_id) is None
    assert await store.delete_notification("mallory", note_id) is False
    assert await store.list_notifications("mallory", 10) == ([], 0)

    notes, unread = await store.list_notifications(USER, 10)
    assert [note.id for note in notes] == [note_id]
    assert unread == 1


async def test_notifications_are_trimmed(store: Store) -> None:
    """Only the newest ``MAX_NOTIFICATIONS`` are kept; the oldest go first."""
    ids = await _notify(store, USER, MAX_NOTIFICATIONS + 3)
    notes, unread = await store.list_notifications(USER, MAX_NOTIFICATIONS * 2)
    assert [note.id for note in notes] == ids[3:][::-1]
    assert unread == MAX_NOTIFICATIONS
    for dropped in ids[:3]:
        assert await store.get_notification(USER, dropped) is None
    assert await store.redis.hlen(store.keys.notifications(USER)) == MAX_NOTIFICATIONS


async def test_notification_keys_expire(store: Store) -> None:
    """A user's notifications expire after ``notification_ttl``, also after being marked read."""
    (note_id,) = await _notify(store, USER, 1)
    await store.mark_read(USER, note_id)
    for key in (store.keys.notifications(USER), store.keys.notification_index(USER)):
        ttl = await store.redis.ttl(key)
        assert store.settings.notification_ttl - 10 <= ttl <= store.settings.notification_ttl


# -- every key expires ---------------------------------------------------------------------


async def test_every_key_the_store_writes_has_a_ttl(store: Store) -> None:
    """After a busy scenario, every key in the namespace expires: nothing lives forever."""
    for user_id in (USER, "u2", "zoë"):
        await store.put_set(make_set(user_id=user_id), 600)
        await store.put_set(make_set("events", user_id), 60)
        await store.claim_refresh("dining", user_id, f"t-{user_id}")
        await store.claim_refresh("events", user_id, f"e-{user_id}")
        await store.put_status(f"t-{user_id}", "started", "dining", user_id)
        await store.touch_user("dining", user_id)
        await store.remember_unknown_user("events", user_id, "unknown")
        ids = await _notify(store, user_id, 3)
        await store.mark_read(user_id, ids[0])
        await store.delete_notification(user_id, ids[1])
    await store.release_refresh("events", "u2", "e-u2")
    await store.put_status("t-u2", "success", "dining", "u2")
    await store.active_users("dining", 0.0)

    keys = await _keys(store)
    assert len(keys) >= 3 * 8  # the scenario really wrote keys
    without_ttl = [key for key in keys if await store.redis.ttl(key) <= 0]
    assert without_ttl == []


async def test_read_set_notes_activity_at_most_once_a_minute(store: Store) -> None:
    """A read marks the user active for beat; repeated reads do not rewrite it every time."""
    assert await store.read_set("dining", USER) is None
    since = time.time() - 5
    assert await store.active_users("dining", since) == [USER]
    await store.redis.delete(store.keys.active_users("dining"))
    await store.read_set("dining", USER)  # within the minute: a plain GET, no activity write
    assert await store.active_users("dining", since) == []
