"""Sample upstream answers and contexts shared by the dining tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest
from portal_engine.testing import samples


def _place(place_id: str, **overrides: Any) -> dict[str, Any]:
    return samples.place(place_id, **{"near": "home (Astoria)", **overrides})


@pytest.fixture
def fetch_request() -> Callable[[str], FetchRequest]:
    """Make the request a fetcher gets for a user id."""
    return lambda user_id: samples.fetch_request(user_id, "dining")


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    """Make a user profile as the user profile service sends it, with fields overridden."""
    return samples.profile


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
            "profile": profile if profile is not None else samples.profile(),
            "places": {"locations": [], "places": places},
        }
        if customer is not None:
            data["customer"] = customer
        return Context(user_id="u1", type="dining", data=data)

    return make
