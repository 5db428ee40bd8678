"""Sample upstream answers and contexts shared by the events tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest
from portal_engine.testing import samples

#: "Now" in these tests: Thursday 10 December 2026, 07:00 in New York.
AS_OF = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def _event(event_id: str, **overrides: Any) -> dict[str, Any]:
    return samples.event(event_id, **{"near": "home (Astoria)", **overrides})


@pytest.fixture
def as_of() -> datetime:
    """The moment the sample contexts were fetched: the tests' "now"."""
    return AS_OF


@pytest.fixture
def fetch_request() -> Callable[[str], FetchRequest]:
    """Make the request a fetcher gets for a user id."""
    return lambda user_id: samples.fetch_request(user_id, "events")


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    """Make a user profile as the user profile service sends it, with fields overridden."""
    return samples.profile


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    """Make an event as the events fetcher returns it, with fields overridden."""
    return _event


@pytest.fixture
def context() -> Callable[..., Context]:
    """Make an events context, fetched at ``AS_OF``, from events and optionally a profile."""

    def make(events: list[dict[str, Any]], profile: dict[str, Any] | None = None) -> Context:
        data: dict[str, Any] = {
            "profile": profile if profile is not None else samples.profile(),
            "events": {"as_of": AS_OF.isoformat(), "locations": [], "events": events},
        }
        return Context(user_id="u1", type="events", data=data)

    return make
