"""Tests for :mod:`portal_engine.ranking`: ranking candidates without the LLM."""

from __future__ import annotations

import pytest

from portal_engine.models import Candidate, Item
from portal_engine.ranking import closeness, name_key, name_keys, rank_by, top

CANDIDATES = [
    Candidate(id="c", title="Gamma", details={"points": 2}),
    Candidate(id="a", title="Alpha", details={"points": 1}),
    Candidate(id="b", title="Beta", details={"points": 2}),
    Candidate(id="d", title="Delta", details={"points": 0}),
]


def _points(candidate: Candidate) -> float:
    return float(candidate.details["points"] or 0) / 2


def test_rank_by_serves_the_best_first_and_breaks_ties_by_id() -> None:
    """Items come highest score first, equal scores by id, cut to the limit."""
    items = rank_by(CANDIDATES, score=_points, reason=lambda c: f"{c.title}.", limit=3)
    assert items == [
        Item(id="b", title="Beta", score=1.0, reason="Beta.", details={"points": 2}),
        Item(id="c", title="Gamma", score=1.0, reason="Gamma.", details={"points": 2}),
        Item(id="a", title="Alpha", score=0.5, reason="Alpha.", details={"points": 1}),
    ]


def test_rank_by_gives_the_same_set_whatever_the_order_of_candidates() -> None:
    """The same candidates in another order make the same items: a set never reshuffles."""
    forwards = rank_by(CANDIDATES, score=_points, reason=lambda c: "Good.", limit=4)
    backwards = rank_by(CANDIDATES[::-1], score=_points, reason=lambda c: "Good.", limit=4)
    assert forwards == backwards


@pytest.mark.parametrize("limit", [0, -1])
def test_rank_by_with_no_room_returns_nothing(limit: int) -> None:
    """A limit of zero or less gives no items at all."""
    assert rank_by(CANDIDATES, score=_points, reason=lambda c: "", limit=limit) == []


def test_rank_by_asks_reasons_only_for_the_items_it_returns() -> None:
    """Reasons are written for the served items only, not for every candidate."""
    asked: list[str] = []

    def reason(candidate: Candidate) -> str:
        asked.append(candidate.id)
        return "Why."

    rank_by(CANDIDATES, score=_points, reason=reason, limit=2)
    assert asked == ["b", "c"]


def test_rank_by_copies_the_details() -> None:
    """An item's details are its own: changing them leaves the candidate alone."""
    (item,) = rank_by(CANDIDATES, score=_points, reason=lambda c: "", limit=1)
    item.details["points"] = 99
    assert CANDIDATES[2].details == {"points": 2}


def test_top_picks_the_best_candidates_ties_by_id() -> None:
    """top keeps the ``count`` best, highest score first, equal scores by id."""
    assert [c.id for c in top(CANDIDATES, 3, score=_points)] == ["b", "c", "a"]
    assert [c.id for c in top(iter(CANDIDATES), 10, score=_points)] == ["b", "c", "a", "d"]
    assert top(CANDIDATES, -1, score=_points) == []


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        (0.0, 1.0),
        (1.0, 0.5),
        (2.0, 0.0),
        (7.5, 0.0),
        (-1.0, 1.0),
        (1, 0.5),
        (None, 0.0),
        ("1", 0.0),
    ],
)
def test_closeness_falls_from_1_to_0_over_the_radius(distance: object, expected: float) -> None:
    """Closeness is 1 at no distance and 0 at the radius; anything but a number counts as far."""
    assert closeness(distance, 2) == pytest.approx(expected)


def test_names_match_whatever_their_case_and_spacing() -> None:
    """Case and surrounding spaces do not make another name; a missing name has the empty key."""
    assert name_key(" japanese ") == name_key("Japanese") == "japanese"
    assert name_key(None) == ""


def test_name_keys_read_a_profile_field_however_it_came() -> None:
    """A list, a bare string, blanks and a missing field all read as the set of names."""
    assert name_keys(["Thai", " thai", "", "Pizza"]) == {"thai", "pizza"}
    assert name_keys("Film") == {"film"}
    assert name_keys(None) == name_keys([" "]) == frozenset()
