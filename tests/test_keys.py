"""Tests for :mod:`portal_engine.keys`: namespaced Redis keys that can never collide."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from portal_engine.keys import Keys

NAMESPACE = "portal-test"
KEYS = Keys(NAMESPACE)

#: Every key kind that belongs to one (type, user) pair.
PAIR_KEYS: list[Callable[[str, str], str]] = [
    KEYS.recommendation_set,
    KEYS.refresh_lock,
    KEYS.unknown_user,
]
#: Every key kind that belongs to one id (a user or a task).
ID_KEYS: list[Callable[[str], str]] = [
    KEYS.task_status,
    KEYS.notifications,
    KEYS.notification_index,
]

type_names = st.from_regex(r"\A[a-z][a-z0-9_]{0,39}\Z")
# Tricky characters come up often; st.text() adds the rest of Unicode (surrogates excluded).
tricky = st.sampled_from([*":*?[]%\\ \x00\n/é中😀-_.~", "%3A", "%25", "::"])
user_ids = st.one_of(
    st.text(), st.lists(tricky, max_size=8).map("".join), st.text(alphabet=":*?[]%")
)

HOSTILE_IDS = [
    "u1",
    "u1:x",
    "u1%3Ax",
    "a:b:c",
    "*",
    "u?",
    "[abc]",
    "100%",
    "%25",
    "with space",
    "tab\there",
    "zoë",
    "用户",
    "😀",
    "nul\x00byte",
    "",
    "back\\slash",
]
GLOB_AND_SEPARATORS = set(":*?[]\\")


def _id_part(key: str, prefix: str) -> str:
    assert key.startswith(prefix)
    return key[len(prefix) :]


@given(type_names, user_ids, type_names, user_ids)
def test_distinct_pairs_never_share_a_key(t1: str, u1: str, t2: str, u2: str) -> None:
    """Two different (type, user) pairs never get the same key of any kind."""
    for make in PAIR_KEYS:
        assert (make(t1, u1) == make(t2, u2)) == ((t1, u1) == (t2, u2))


@given(user_ids, user_ids)
def test_distinct_ids_never_share_a_key(a: str, b: str) -> None:
    """Two different user or task ids never get the same key of any kind."""
    for make in ID_KEYS:
        assert (make(a) == make(b)) == (a == b)


@given(st.lists(st.tuples(type_names, user_ids), min_size=1, max_size=6, unique=True))
def test_key_kinds_never_collide_with_each_other(pairs: list[tuple[str, str]]) -> None:
    """A set key, a lock key, a status key ... are never the same key, whatever the ids."""
    keys = [make(t, u) for t, u in pairs for make in PAIR_KEYS]
    keys += [make(u) for _, u in pairs for make in ID_KEYS]
    keys += [KEYS.active_users(t) for t in {t for t, _ in pairs}]
    distinct_ids = {u for _, u in pairs}
    expected = len(pairs) * len(PAIR_KEYS) + len(distinct_ids) * len(ID_KEYS)
    expected += len({t for t, _ in pairs})
    assert len(set(keys)) == expected


def test_hostile_ids_do_not_collide() -> None:
    """Ids full of separators, glob characters, escapes and Unicode keep their own keys."""
    for make in PAIR_KEYS:
        keys = {make("dining", user_id) for user_id in HOSTILE_IDS}
        assert len(keys) == len(HOSTILE_IDS)
    for make_id in ID_KEYS:
        assert len({make_id(user_id) for user_id in HOSTILE_IDS}) == len(HOSTILE_IDS)


def test_an_id_cannot_forge_another_type() -> None:
    """A user id that looks like ``type:user`` cannot reach another type's key."""
    forged = KEYS.recommendation_set("dining", "events:u1")
    assert forged != KEYS.recommendation_set("dining_events", "u1")
    assert forged != KEYS.recommendation_set("events", "u1")
    assert KEYS.recommendation_set("a", "b_c") != KEYS.recommendation_set("a_b", "c")
    assert KEYS.refresh_lock("dining", "u1") != KEYS.recommendation_set("dining", "u1")


@given(type_names, user_ids)
def test_keys_hold_no_raw_glob_characters_from_the_id(type_name: str, user_id: str) -> None:
    """The id part of a key has no ``:`` or glob characters, so a SCAN pattern cannot match it."""
    for make, prefix in (
        (KEYS.recommendation_set, f"{NAMESPACE}:set:{type_name}:"),
        (KEYS.refresh_lock, f"{NAMESPACE}:lock:{type_name}:"),
        (KEYS.unknown_user, f"{NAMESPACE}:unknown:{type_name}:"),
    ):
        part = _id_part(make(type_name, user_id), prefix)
        assert not GLOB_AND_SEPARATORS & set(part)
        assert part.isascii() and part.isprintable()
    for make_id, prefix in (
        (KEYS.task_status, f"{NAMESPACE}:task:"),
        (KEYS.notifications, f"{NAMESPACE}:notif:"),
        (KEYS.notification_index, f"{NAMESPACE}:notif-index:"),
    ):
        part = _id_part(make_id(user_id), prefix)
        assert not GLOB_AND_SEPARATORS & set(part)


@given(type_names, user_ids)
def test_every_key_starts_with_the_namespace(type_name: str, user_id: str) -> None:
    """Every key lives under ``<namespace>:``, so one namespace can be scanned and dropped."""
    keys = [make(type_name, user_id) for make in PAIR_KEYS]
    keys += [make(user_id) for make in ID_KEYS]
    keys.append(KEYS.active_users(type_name))
    for key in keys:
        assert key.startswith(f"{NAMESPACE}:")


def test_namespaces_keep_keys_apart() -> None:
    """The same (type, user) under two namespaces gives two keys."""
    assert Keys("a").recommendation_set("dining", "u1") != Keys("b").recommendation_set(
        "dining", "u1"
    )


def test_ids_with_lone_surrogates_get_distinct_keys() -> None:
    """A user id holding a lone surrogate still gets a key of its own instead of an error."""
    a = KEYS.recommendation_set("dining", "\udcff")
    b = KEYS.recommendation_set("dining", "\udcfe")
    assert a != b
    assert a != KEYS.recommendation_set("dining", "\ufffd")
