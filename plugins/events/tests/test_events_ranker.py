"""Tests for portal_engine_events.ranker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal_engine.models import Candidate
from portal_engine.plugin_api import Context

from portal_engine_events.prompt import to_candidate
from portal_engine_events.ranker import EventsFallbackRanker

Factory = Callable[..., Any]


def _candidates(*events: dict[str, Any]) -> list[Candidate]:
    found = [to_candidate(event) for event in events]
    assert all(c is not None for c in found)
    return [c for c in found if c is not None]


def test_interest_match_beats_a_nearer_sooner_non_match(
    context: Callable[..., Context], event: Factory
) -> None:
    """An event in one of the user's interests ranks above a nearer, sooner one that is not."""
    match = event(
        "zz-match",
        primary_category="Concerts",
        categories=["Concerts"],
        distance_km=2.9,
        start="2026-12-30T10:00:00-05:00",
    )
    other = event("aa-other", distance_km=0.0, start="2026-12-10T07:30:00-05:00")
    items = EventsFallbackRanker().rank(context([match, other]), _candidates(other, match), 10)
    assert [item.id for item in items] == ["zz-match", "aa-other"]
    assert items[0].score > items[1].score


def test_a_secondary_category_counts_as_a_match(
    context: Callable[..., Context], event: Factory
) -> None:
    """An event whose primary category is not an interest still matches through its others."""
    walk = event("walk", primary_category="Nature", categories=["Nature", "fitness"])
    film = event("film")
    items = EventsFallbackRanker().rank(context([walk, film]), _candidates(film, walk), 10)
    assert items[0].id == "walk"
    assert items[0].reason.startswith("fitness, which you enjoy,")


def test_never_more_than_limit_and_scores_between_0_and_1(
    context: Callable[..., Context], event: Factory
) -> None:
    """The ranker returns at most ``limit`` items, each scored from 0 to 1, even at the extremes."""
    events = [
        event(
            "now", primary_category="Fitness", distance_km=0.0, start="2026-12-10T06:00:00-05:00"
        ),
        event("far", distance_km=9.0, start="2027-03-01T10:00:00-05:00"),
        event("odd", distance_km=-1.0, start="2026-12-11T10:00:00-05:00"),
        event("mid", primary_category="Concerts", distance_km=1.5),
        event("soon", distance_km=2.0, start="2026-12-10T08:00:00-05:00"),
    ]
    ranker = EventsFallbackRanker()
    assert len(ranker.rank(context(events), _candidates(*events), limit=3)) == 3
    items = ranker.rank(context(events), _candidates(*events), limit=10)
    assert len(items) == 5
    assert all(0.0 <= item.score <= 1.0 for item in items)
    assert items[0].id == "now" and items[0].score == 1.0
    assert items[-1].id == "far" and items[-1].score == 0.0
    assert ranker.rank(context(events), _candidates(*events), limit=0) == []


def test_reason_names_interest_day_time_distance_and_location(
    context: Callable[..., Context], event: Factory
) -> None:
    """The reason tells the user the interest it matches, when it is and how far from where."""
    tai_chi = event("e1", primary_category="Fitness", categories=["Fitness", "Outdoor Fitness"])
    (item,) = EventsFallbackRanker().rank(context([tai_chi]), _candidates(tai_chi), limit=1)
    assert (
        item.reason == "Fitness, which you enjoy, on Saturday 12 Dec at 10:00, "
        "0.8 km from your home in Astoria."
    )
    assert item.title == "Event e1"
    assert item.details["category"] == "Fitness"


def test_reason_for_an_event_outside_the_interests_at_work(
    context: Callable[..., Context], event: Factory
) -> None:
    """An event in none of the interests gets a plain reason that claims no interest."""
    film = event(
        "e1", distance_km=0.02, near="work (Midtown-Midtown South)", start="2026-12-14T19:30-05:00"
    )
    (item,) = EventsFallbackRanker().rank(context([film]), _candidates(film), limit=1)
    assert item.reason == (
        "Film on Monday 14 Dec at 19:30, under 0.1 km from your work in Midtown-Midtown South."
    )


def test_ties_are_broken_by_id(context: Callable[..., Context], event: Factory) -> None:
    """Events that score the same come back in id order, so a set never reshuffles by itself."""
    events = [event(event_id) for event_id in ("c", "a", "b")]
    items = EventsFallbackRanker().rank(context(events), _candidates(*events), limit=3)
    assert [item.id for item in items] == ["a", "b", "c"]


def test_same_context_gives_the_same_set(context: Callable[..., Context], event: Factory) -> None:
    """Ranking is measured from the context's fetch time, so reruns agree item for item."""
    events = [
        event(f"e{i}", distance_km=i / 4, start=f"2026-12-{11 + i}T10:00-05:00") for i in range(6)
    ]
    ranker = EventsFallbackRanker()
    assert ranker.rank(context(events), _candidates(*events), 4) == ranker.rank(
        context(events), _candidates(*reversed(events)), 4
    )
