"""Tests for portal_engine_dining.ranker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal_engine.models import Candidate
from portal_engine.plugin_api import Context

from portal_engine_dining.prompt import to_candidate
from portal_engine_dining.ranker import DiningFallbackRanker

Factory = Callable[..., Any]


def _candidates(*places: dict[str, Any]) -> list[Candidate]:
    return [to_candidate(place) for place in places]


def test_near_liked_clean_place_beats_far_neutral_one(
    context: Callable[..., Context], place: Factory
) -> None:
    """A close, grade-A place of a liked cuisine ranks above a far one of a neutral cuisine."""
    near = place("zz-near", cuisine="Japanese", distance_km=0.4, inspection_grade="A")
    far = place("aa-far", cuisine="American", distance_km=1.9, inspection_grade=None)
    items = DiningFallbackRanker().rank(context([near, far]), _candidates(far, near), limit=10)
    assert [item.id for item in items] == ["zz-near", "aa-far"]
    assert items[0].score > items[1].score


def test_never_more_than_limit_and_scores_between_0_and_1(
    context: Callable[..., Context], place: Factory
) -> None:
    """The ranker returns at most ``limit`` items, each scored from 0 to 1."""
    places = [
        place(f"p{i}", cuisine=cuisine, distance_km=distance, inspection_grade=grade)
        for i, (cuisine, distance, grade) in enumerate(
            [
                ("Japanese", 0.0, "A"),
                ("Thai", 5.0, "C"),
                ("Pizza", 2.0, None),
                ("Bakery", -1.0, "Z"),
                ("Cafe", 1.0, "B"),
            ]
        )
    ]
    ranker = DiningFallbackRanker()
    items = ranker.rank(context(places), _candidates(*places), limit=3)
    assert len(items) == 3
    assert all(
        0.0 <= item.score <= 1.0
        for item in ranker.rank(context(places), _candidates(*places), limit=10)
    )
    assert ranker.rank(context(places), _candidates(*places), limit=0) == []


def test_reason_names_cuisine_distance_location_and_grade(
    context: Callable[..., Context], place: Factory
) -> None:
    """The reason tells the user the cuisine they like, how far it is from where, and the grade."""
    sushi = place("p1", cuisine="Japanese", distance_km=0.4, inspection_grade="A")
    (item,) = DiningFallbackRanker().rank(context([sushi]), _candidates(sushi), limit=1)
    assert (
        item.reason
        == "Japanese, which you like, 0.4 km from your home in Astoria; hygiene grade A."
    )
    assert item.title == "Place p1"
    assert item.details["cuisine"] == "Japanese"


def test_reason_for_ungraded_neutral_place_at_work(
    context: Callable[..., Context], place: Factory
) -> None:
    """A place without a grade and of a neutral cuisine gets a plain reason with no grade claim."""
    deli = place("p1", cuisine="Deli", distance_km=1.25, near="work (Midtown-Midtown South)")
    (item,) = DiningFallbackRanker().rank(context([deli]), _candidates(deli), limit=1)
    assert item.reason == "Deli, 1.2 km from your work in Midtown-Midtown South."


def test_ties_are_broken_by_id(context: Callable[..., Context], place: Factory) -> None:
    """Places that score the same come back in id order, so a set never reshuffles by itself."""
    places = [place(place_id) for place_id in ("c", "a", "b")]
    items = DiningFallbackRanker().rank(context(places), _candidates(*places), limit=3)
    assert [item.id for item in items] == ["a", "b", "c"]


def test_disliked_cuisine_is_dropped_even_if_offered(
    context: Callable[..., Context], place: Factory
) -> None:
    """Even a candidate list holding a disliked cuisine never yields it as an item."""
    places = [place("p1", cuisine="Chinese", distance_km=0.1), place("p2", cuisine="Pizza")]
    items = DiningFallbackRanker().rank(context(places), _candidates(*places), limit=10)
    assert [item.id for item in items] == ["p2"]
