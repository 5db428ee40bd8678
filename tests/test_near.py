"""Tests for :mod:`portal_engine.near`: the ``near`` field, written, read and told."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_engine.near import how_far, near_text, split_near

_WORDS = st.text(alphabet=string.ascii_letters + " -'", min_size=1).map(str.strip).filter(bool)


def test_near_text_names_the_location_and_its_neighbourhood() -> None:
    """The label comes first and the neighbourhood, when known, in brackets."""
    assert near_text("work", "Midtown-Midtown South") == "work (Midtown-Midtown South)"
    assert near_text("home", "") == "home"


@given(label=_WORDS, neighbourhood=st.one_of(st.just(""), _WORDS))
def test_split_near_reads_back_what_near_text_wrote(label: str, neighbourhood: str) -> None:
    """Whatever the label and neighbourhood, the field reads back into the same two parts."""
    assert split_near(near_text(label, neighbourhood)) == (label, neighbourhood)


def test_split_near_keeps_a_foreign_value_whole() -> None:
    """A value near_text did not write comes back as the label, with no neighbourhood."""
    assert split_near("(by the river)") == ("(by the river)", "")
    assert split_near("") == ("", "")


@pytest.mark.parametrize(
    ("details", "text"),
    [
        ({"distance_km": 0.4, "near": "home (Astoria)"}, "0.4 km from your home in Astoria"),
        (
            {"distance_km": 1.25, "near": "work (Midtown-Midtown South)"},
            "1.2 km from your work in Midtown-Midtown South",
        ),
        ({"distance_km": 0.02, "near": "work"}, "under 0.1 km from your work"),
        ({"distance_km": 3}, "3.0 km away"),
        ({"distance_km": None, "near": "home (Astoria)"}, "near your home in Astoria"),
        ({}, "nearby"),
    ],
)
def test_how_far_says_distance_and_location_as_a_person_would(
    details: dict[str, object], text: str
) -> None:
    """How far reads the distance and the location it was measured from, whichever is known."""
    assert how_far(details) == text
