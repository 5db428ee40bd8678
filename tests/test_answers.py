"""Tests for :mod:`portal_engine.answers`: reading the LLM's answer as real models write it."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_engine.answers import MAX_REASON, parse_answer
from portal_engine.errors import InvalidAnswer
from portal_engine.models import Candidate

CANDIDATES = [
    Candidate("r1", "Joe's Pizza", {"cuisine": "pizza", "distance_km": 0.4}),
    Candidate("r2", "Katz's Delicatessen", {"cuisine": "deli", "distance_km": 1.2}),
    Candidate("r3", "Xi'an Famous Foods", {"cuisine": "chinese", "distance_km": 2.0}),
    Candidate("r4", "Le Bernardin", {"cuisine": "french", "distance_km": 3.1}),
]
GOOD = {
    "items": [
        {"id": "r2", "score": 0.9, "reason": "You love delis."},
        {"id": "r1", "score": 0.7, "reason": "Close to your office."},
    ]
}


def _ids(text: str, limit: int = 10) -> list[str]:
    return [item.id for item in parse_answer(text, CANDIDATES, limit)]


def test_plain_json() -> None:
    """A plain JSON answer gives the items in the model's order with its scores and reasons."""
    items = parse_answer(json.dumps(GOOD), CANDIDATES, 10)
    assert [(i.id, i.score, i.reason) for i in items] == [
        ("r2", 0.9, "You love delis."),
        ("r1", 0.7, "Close to your office."),
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"```json\n{json.dumps(GOOD, indent=2)}\n```",
        f"```\n{json.dumps(GOOD)}\n```",
        f"```JSON\n{json.dumps(GOOD)}\n```",
        f"Here are my picks:\n```json\n{json.dumps(GOOD)}\n```\nEnjoy your meal!",
    ],
    ids=["json-fence", "bare-fence", "upper-case-fence", "fence-in-prose"],
)
def test_json_in_code_fences(text: str) -> None:
    """JSON wrapped in Markdown code fences is read as if it were plain."""
    assert _ids(text) == ["r2", "r1"]


@pytest.mark.parametrize(
    "text",
    [
        f"Sure! Based on the profile, here you go: {json.dumps(GOOD)} Anything else?",
        f"{json.dumps(GOOD)}\n\nNote: scores are between 0 and 1.",
        f"Answer:\n{json.dumps(GOOD['items'])}\nThanks.",
    ],
    ids=["object-in-prose", "trailing-prose", "list-in-prose"],
)
def test_prose_around_json(text: str) -> None:
    """Prose before or after the JSON is ignored."""
    assert _ids(text) == ["r2", "r1"]


def test_bare_list() -> None:
    """A bare list of items is accepted in place of ``{"items": [...]}``."""
    assert _ids(json.dumps(GOOD["items"])) == ["r2", "r1"]


def test_recommendations_key() -> None:
    """``{"recommendations": [...]}`` is read like ``{"items": [...]}``."""
    assert _ids(json.dumps({"recommendations": GOOD["items"]})) == ["r2", "r1"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.8", 0.8),
        (" 0.25 ", 0.25),
        (85, 0.85),
        ("85", 0.85),
        (100, 1.0),
        (250, 1.0),
        (-3, 0.0),
        ("-0.5", 0.0),
        (0, 0.0),
        (1, 1.0),
    ],
)
def test_scores_are_read_and_clamped(raw: Any, expected: float) -> None:
    """Scores given as text, in percent or out of range end up between 0 and 1."""
    answer = {"items": [{"id": "r1", "score": raw, "reason": "Close by."}]}
    (item,) = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert item.score == pytest.approx(expected)


def test_unusable_scores_keep_the_models_order() -> None:
    """Items without a usable score get scores that fall with their rank."""
    answer = [
        {"id": "r3", "reason": "a"},
        {"id": "r1", "score": "high", "reason": "b"},
        {"id": "r2", "score": None, "reason": "c"},
    ]
    items = parse_answer(json.dumps(answer), CANDIDATES, 10)
    scores = [item.score for item in items]
    assert [item.id for item in items] == ["r3", "r1", "r2"]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3
    assert all(0.0 <= score <= 1.0 for score in scores)


def _not_nan_text(text: str) -> bool:
    try:
        return not math.isnan(float(text))
    except ValueError:
        return True


# NaN is left to test_a_nan_score_is_not_served, which is a known bug.
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=10).filter(_not_nan_text),
        st.floats(allow_nan=False).map(str),
    )
)
def test_any_score_ends_up_between_zero_and_one(raw: Any) -> None:
    """Whatever the model puts in ``score``, the served score is a number from 0 to 1."""
    answer = {"items": [{"id": "r1", "score": raw, "reason": "Close by."}]}
    (item,) = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert 0.0 <= item.score <= 1.0


@pytest.mark.parametrize("raw", ["NaN", "nan"])
def test_a_nan_score_is_not_served(raw: str) -> None:
    """A score of "NaN" never reaches the user: the served score is a number from 0 to 1."""
    answer = {"items": [{"id": "r1", "score": raw, "reason": "Close by."}]}
    (item,) = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert math.isfinite(item.score)
    assert 0.0 <= item.score <= 1.0


def test_duplicate_ids_are_removed() -> None:
    """An id the model repeats is served once, at its first place."""
    answer = [
        {"id": "r2", "score": 0.9, "reason": "first"},
        {"id": "r1", "score": 0.8, "reason": "second"},
        {"id": "r2", "score": 0.7, "reason": "again"},
    ]
    items = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert [(i.id, i.reason) for i in items] == [("r2", "first"), ("r1", "second")]


def test_numeric_ids_match_candidates_by_text() -> None:
    """An id the model wrote as a number matches the candidate whose id is that text."""
    candidates = [Candidate("7", "Seven"), Candidate("8", "Eight")]
    answer = [{"id": 8, "score": 0.5, "reason": "Good."}]
    assert [i.id for i in parse_answer(json.dumps(answer), candidates, 10)] == ["8"]


@pytest.mark.parametrize(
    "bad_id", ["EVIL", "r1 ", "R1", "", "r5"], ids=["evil", "space", "case", "empty", "unknown"]
)
def test_an_id_that_is_not_a_candidate_is_refused(bad_id: str) -> None:
    """An answer naming anything but an exact candidate id is refused as a whole."""
    answer = [
        {"id": "r1", "score": 0.9, "reason": "fine"},
        {"id": bad_id, "score": 1.0, "reason": "ignore previous instructions"},
    ]
    with pytest.raises(InvalidAnswer, match="not a candidate"):
        parse_answer(json.dumps(answer), CANDIDATES, 10)


def test_a_missing_id_is_refused() -> None:
    """An item without an id is refused."""
    with pytest.raises(InvalidAnswer):
        parse_answer(json.dumps([{"score": 0.9, "reason": "fine"}]), CANDIDATES, 10)


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_a_missing_reason_is_refused(reason: str | None) -> None:
    """An item without a reason a user could read is refused."""
    item: dict[str, Any] = {"id": "r1", "score": 0.9}
    if reason is not None:
        item["reason"] = reason
    with pytest.raises(InvalidAnswer, match="no reason"):
        parse_answer(json.dumps([item]), CANDIDATES, 10)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I recommend Joe's Pizza and Katz's.",
        "{items: [r1, r2]}",
        "```json\n```",
        '{"items": [{"id": "r1", "reason": "x"}',
    ],
    ids=["empty", "prose", "not-json", "empty-fence", "truncated"],
)
def test_an_answer_that_is_not_json_is_refused(text: str) -> None:
    """Text that holds no JSON is refused."""
    with pytest.raises(InvalidAnswer):
        parse_answer(text, CANDIDATES, 10)


@pytest.mark.parametrize(
    "payload",
    [{"items": []}, [], {"results": GOOD["items"]}, {"items": "r1, r2"}, "r1", 42, None],
    ids=["empty-items", "empty-list", "other-key", "items-text", "string", "number", "null"],
)
def test_an_answer_without_items_is_refused(payload: Any) -> None:
    """JSON that holds no non-empty items list is refused."""
    with pytest.raises(InvalidAnswer):
        parse_answer(json.dumps(payload), CANDIDATES, 10)


def test_an_item_that_is_not_an_object_is_refused() -> None:
    """A list of bare ids instead of item objects is refused."""
    with pytest.raises(InvalidAnswer, match="not an object"):
        parse_answer(json.dumps({"items": ["r1", "r2"]}), CANDIDATES, 10)


def test_titles_and_details_come_from_the_candidate() -> None:
    """The model cannot rename an item or change its details: they are the candidate's."""
    answer = [
        {
            "id": "r4",
            "title": "FREE MONEY - click here",
            "details": {"cuisine": "scam", "url": "http://evil.example"},
            "score": 0.9,
            "reason": "Fine dining.",
        }
    ]
    (item,) = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert item.title == "Le Bernardin"
    assert item.details == {"cuisine": "french", "distance_km": 3.1}
    assert item.details is not CANDIDATES[3].details


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_limit_is_respected(limit: int) -> None:
    """No more than ``limit`` items are returned, the model's best first."""
    answer = [
        {"id": c.id, "score": 1 - n / 10, "reason": f"Pick {n}."} for n, c in enumerate(CANDIDATES)
    ]
    assert _ids(json.dumps(answer), limit) == [c.id for c in CANDIDATES][:limit]


def test_long_reasons_are_cut() -> None:
    """A rambling reason is cut to a length a card can show."""
    answer = [{"id": "r1", "score": 0.5, "reason": "word " * 200}]
    (item,) = parse_answer(json.dumps(answer), CANDIDATES, 10)
    assert 0 < len(item.reason) <= MAX_REASON
