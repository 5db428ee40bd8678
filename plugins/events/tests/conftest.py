"""Sample upstream answers and contexts shared by the events tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest, ServiceURLs

SERVICES = ServiceURLs(
    user_profile="http://profile.test", lie="http://lie.test", cis="http://cis.test"
)
#: "Now" in these tests: Thursday 10 December 2026, 07:00 in New York.
AS_OF = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def _profile(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "user_id": "u1",
        "display_name": "Ana",
        "home": {"nta_code": "QN70", "neighbourhood": "Astoria", "borough": "Queens"},
        "work": {
            "nta_code": "MN17",
            "neighbourhood": "Midtown-Midtown South",
            "borough": "Manhattan",
        },
        "cuisine_likes": ["Japanese"],
        "cuisine_dislikes": ["Chinese"],
        "diet": "none",
        "price_level": 2,
        "interests": ["Fitness", "Concerts"],
    }
    profile.update(overrides)
    return profile


def _event(event_id: str, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": event_id,
        "name": f"Event {event_id}",
        "primary_category": "Film",
        "categories": ["Film"],
        "venue": "Great Lawn (in Astoria Park)",
        "borough": "Queens",
        "neighbourhood": "Astoria",
        "lat": 40.78,
        "lon": -73.92,
        "start": "2026-12-12T10:00:00-05:00",
        "end": "2026-12-12T12:00:00-05:00",
        "url": f"https://www.nycgovparks.org/events/{event_id}",
        "distance_km": 0.8,
        "near": "home (Astoria)",
    }
    event.update(overrides)
    return event


@pytest.fixture
def as_of() -> datetime:
    """The moment the sample contexts were fetched: the tests' "now"."""
    return AS_OF


@pytest.fixture
def fetch_request() -> Callable[[str], FetchRequest]:
    """Make the request a fetcher gets for a user id."""
    return lambda user_id: FetchRequest(user_id=user_id, type="events", services=SERVICES)


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    """Make a user profile as the user profile service sends it, with fields overridden."""
    return _profile


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    """Make an event as the events fetcher returns it, with fields overridden."""
    return _event


@pytest.fixture
def context() -> Callable[..., Context]:
    """Make an events context, fetched at ``AS_OF``, from events and optionally a profile."""

    def make(events: list[dict[str, Any]], profile: dict[str, Any] | None = None) -> Context:
        data: dict[str, Any] = {
            "profile": profile if profile is not None else _profile(),
            "events": {"as_of": AS_OF.isoformat(), "locations": [], "events": events},
        }
        return Context(user_id="u1", type="events", data=data)

    return make
