"""Sample upstream answers and contexts shared by the dining tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest, ServiceURLs

SERVICES = ServiceURLs(
    user_profile="http://profile.test", lie="http://lie.test", cis="http://cis.test"
)


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
        "cuisine_likes": ["Japanese", "Thai"],
        "cuisine_dislikes": ["Chinese"],
        "diet": "pescatarian",
        "price_level": 2,
        "interests": ["jazz"],
    }
    profile.update(overrides)
    return profile


def _place(place_id: str, **overrides: Any) -> dict[str, Any]:
    place: dict[str, Any] = {
        "id": place_id,
        "name": f"Place {place_id}",
        "place_type": "restaurant",
        "cuisine": "American",
        "borough": "Queens",
        "neighbourhood": "Astoria",
        "address": "1 Main St",
        "lat": 40.77,
        "lon": -73.92,
        "inspection_grade": None,
        "distance_km": 1.0,
        "near": "home (Astoria)",
    }
    place.update(overrides)
    return place


@pytest.fixture
def services() -> ServiceURLs:
    """Base URLs of the stand-in upstream services."""
    return SERVICES


@pytest.fixture
def fetch_request() -> Callable[[str], FetchRequest]:
    """Make the request a fetcher gets for a user id."""
    return lambda user_id: FetchRequest(user_id=user_id, type="dining", services=SERVICES)


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    """Make a user profile as the user profile service sends it, with fields overridden."""
    return _profile


@pytest.fixture
def place() -> Callable[..., dict[str, Any]]:
    """Make a place as the places fetcher returns it, with fields overridden."""
    return _place


@pytest.fixture
def context() -> Callable[..., Context]:
    """Make a dining context from places and, optionally, a profile and a customer record."""

    def make(
        places: list[dict[str, Any]],
        profile: dict[str, Any] | None = None,
        customer: dict[str, Any] | None = None,
    ) -> Context:
        data: dict[str, Any] = {
            "profile": profile if profile is not None else _profile(),
            "places": {"locations": [], "places": places},
        }
        if customer is not None:
            data["customer"] = customer
        return Context(user_id="u1", type="dining", data=data)

    return make
