"""Tests for portal_engine_events.scoring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from portal_engine.plugin_api import Context

from portal_engine_events import scoring
from portal_engine_events.scoring import HORIZON, Interests, categories_of, score


def _details(**fields: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "category": "Film",
        "categories": "Film",
        "distance_km": 1.5,
        "start": "2026-12-12T10:00:00-05:00",
    }
    details.update(fields)
    return details


def test_interest_always_outweighs_closeness_and_soonness(as_of: datetime) -> None:
    """The worst event in an interest scores above the best event in none."""
    interests = Interests(keys=frozenset({"concerts"}))
    worst_match = _details(category="Concerts", distance_km=3.0, start="2027-06-01T10:00-04:00")
    best_other = _details(distance_km=0.0, start=as_of.isoformat())
    assert score(worst_match, interests, as_of) > score(best_other, interests, as_of)


def test_soonness_fades_over_the_horizon(as_of: datetime) -> None:
    """An event starting now earns full soonness, one at half the horizon half, one past it none."""
    interests = Interests(keys=frozenset())
    starting = [as_of, as_of + HORIZON / 2, as_of + HORIZON, as_of + HORIZON + timedelta(days=9)]
    scores = [score(_details(start=s.isoformat()), interests, as_of) for s in starting]
    assert scores[0] - scores[1] == pytest.approx(0.1)
    assert scores[1] - scores[2] == pytest.approx(0.1)
    assert scores[2] == scores[3]


def test_interests_match_case_insensitively_and_whole() -> None:
    """``fitness`` matches ``Fitness`` but not ``Outdoor Fitness``; the event's spelling is kept."""
    interests = Interests(keys=frozenset({"fitness"}))
    assert (
        interests.matched(_details(category="Nature", categories="Nature| Fitness ")) == "Fitness"
    )
    assert interests.matched(_details(category="Outdoor Fitness", categories="")) is None


def test_categories_list_the_primary_first_and_each_once() -> None:
    """The primary category leads, and a category repeated in the list is named once."""
    details = _details(category="Fitness", categories="fitness|Outdoor Fitness||")
    assert categories_of(details) == ["Fitness", "Outdoor Fitness"]


def test_interests_are_read_from_the_profile(context: Callable[..., Context], profile: Any) -> None:
    """A bare string or a list of interests both work, and blanks are ignored."""
    assert Interests.from_context(context([], profile(interests="Film"))).keys == {"film"}
    assert Interests.from_context(context([], profile(interests=[" ", "Art"]))).keys == {"art"}
    assert Interests.from_context(context([], profile(interests=None))).keys == frozenset()


def test_as_of_comes_from_the_events_context(
    context: Callable[..., Context], as_of: datetime
) -> None:
    """Soonness is measured from the fetch time in the context, or from now when it has none."""
    assert as_of == scoring.as_of(context([]))
    undated = Context(user_id="u1", type="events", data={"events": {"events": []}})
    assert abs(scoring.as_of(undated) - datetime.now(as_of.tzinfo)) < timedelta(minutes=1)
