"""Tests for the demo's made-up users."""

from __future__ import annotations

from collections import Counter

import pytest

from portal_engine.demo.dataset import DemoUser, load_dataset
from portal_engine.demo.users import (
    DIETS,
    SEGMENTS,
    USER_COUNT,
    common_cuisines,
    dining_options,
    event_interests,
    load_users,
    make_users,
)


@pytest.fixture(scope="module")
def users() -> list[DemoUser]:
    return list(load_users().values())


def test_fifty_users_with_demo_names(users: list[DemoUser]) -> None:
    """There are users user-1 to user-50, named "Demo User N"."""
    assert USER_COUNT == 50
    assert [u.user_id for u in users] == [f"user-{n}" for n in range(1, 51)]
    assert all(u.display_name == f"Demo User {u.user_id[5:]}" for u in users)


def test_users_are_deterministic(users: list[DemoUser]) -> None:
    """Drawing the users again gives exactly the same users."""
    assert make_users(load_dataset()) == users


def test_home_and_work_are_distinct_residential_neighbourhoods(users: list[DemoUser]) -> None:
    """Home and work are different neighbourhoods, never parks, cemeteries or airports."""
    hoods = load_dataset().neighbourhoods
    for user in users:
        assert user.home != user.work
        for code in (user.home, user.work):
            assert not code.endswith("99") and code != "QN98"
            assert hoods[code].residential


def test_tastes_are_well_formed(users: list[DemoUser]) -> None:
    """Likes (2-4) and dislikes (1-2) are disjoint common cuisines; the other fields are valid."""
    cuisines = set(common_cuisines(load_dataset()))
    categories = set(event_interests(load_dataset()))
    for user in users:
        assert 2 <= len(user.cuisine_likes) <= 4
        assert 1 <= len(user.cuisine_dislikes) <= 2
        assert not set(user.cuisine_likes) & set(user.cuisine_dislikes)
        assert set(user.cuisine_likes) | set(user.cuisine_dislikes) <= cuisines
        assert len(set(user.cuisine_likes)) == len(user.cuisine_likes)
        assert user.diet in DIETS
        assert 1 <= user.price_level <= 4
        assert 2 <= len(user.interests) <= 4
        assert set(user.interests) <= categories
        assert user.segment in SEGMENTS


def test_most_users_have_no_diet(users: list[DemoUser]) -> None:
    """Most users follow no special diet, and some do."""
    diets = Counter(u.diet for u in users)
    assert diets["none"] > len(users) / 2
    assert len(diets) > 1


def test_vegetarians_do_not_favour_meat_cuisines(users: list[DemoUser]) -> None:
    """No vegetarian or vegan user likes Chicken or Hamburgers."""
    for user in users:
        if user.diet in ("vegetarian", "vegan"):
            assert not {"Chicken", "Hamburgers"} & set(user.cuisine_likes)


def test_common_cuisines_are_frequent_and_exclude_other() -> None:
    """Common cuisines have at least 20 places each and leave out the catch-all "Other"."""
    data = load_dataset()
    counts = Counter(r.cuisine for r in data.restaurants)
    cuisines = common_cuisines(data)
    assert "Other" not in cuisines
    assert all(counts[c] >= 20 for c in cuisines)
    assert cuisines[0] == "American"


@pytest.mark.parametrize("per_location", [None, 100])
def test_every_user_has_enough_to_recommend(
    users: list[DemoUser], per_location: int | None
) -> None:
    """Within 2 km of home or work, each user has 10+ allowed places and 3+ of a liked cuisine."""
    data = load_dataset()
    for user in users:
        options = dining_options(data, user, 2.0, per_location)
        allowed = [p for p in options if p.cuisine not in user.cuisine_dislikes]
        liked = [p for p in allowed if p.cuisine in user.cuisine_likes]
        assert len(allowed) >= 10, user.user_id
        assert len(liked) >= 3, user.user_id
