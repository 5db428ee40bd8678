"""Tests for portal_engine_events.fetchers.

How the core's fetchers and :func:`portal_engine.services.nearby` call the services, encode ids
and merge what they find is tested in ``tests/test_services.py``; these tests pin what events
asks for and which events it keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from portal_engine.plugin_api import FetchRequest
from portal_engine.testing import Upstreams, samples
from portal_engine.testing.samples import HOME, ODD_USER_ID, ODD_USER_ID_PATH, WORK

from portal_engine_events import EventsFetcher, ProfileFetcher
from portal_engine_events.fetchers import merge_events


def _upstream_event(event_id: str, distance_km: float, **fields: Any) -> dict[str, Any]:
    return samples.event(event_id, distance_km=distance_km, **fields)


def _fetcher(now: datetime) -> EventsFetcher:
    return EventsFetcher(clock=lambda: now)


def test_both_fetchers_are_required() -> None:
    """Without the profile or the events there is nothing to recommend, so neither is optional."""
    assert ProfileFetcher().optional is False
    assert EventsFetcher().optional is False
    assert (ProfileFetcher().name, EventsFetcher().name) == ("profile", "events")


async def test_events_asks_for_locations_then_events_near_each(
    upstreams: Upstreams, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """The events fetcher reads the user's locations, then searches events 3 km around each."""
    upstreams.locations(ODD_USER_ID, [HOME, WORK])
    upstreams.nearby(HOME, [], kind="events", radius_km=3, limit=100)
    upstreams.nearby(WORK, [], kind="events", radius_km=3, limit=100)
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request(ODD_USER_ID))
    first, *searches = upstreams.mock.get_requests()
    assert first.url.raw_path == f"/v1/users/{ODD_USER_ID_PATH}/locations".encode()
    assert {request.url.params["kind"] for request in searches} == {"events"}
    assert answer == {"as_of": as_of.isoformat(), "locations": [HOME, WORK], "events": []}


async def test_events_that_have_ended_are_not_fetched(
    upstreams: Upstreams, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """The fetcher keeps only the events not over at its clock's time, each at its nearest."""
    ended = {"start": "2026-12-09T10:00:00-05:00", "end": "2026-12-09T12:00:00-05:00"}
    upstreams.locations("u1", [HOME, WORK])
    near_home = [_upstream_event("e1", 2.8), _upstream_event("old", 0.1, **ended)]
    upstreams.nearby(HOME, near_home, kind="events", radius_km=3, limit=100)
    upstreams.nearby(WORK, [_upstream_event("e1", 0.4)], kind="events", radius_km=3, limit=100)
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request("u1"))
    assert [(e["id"], e["distance_km"], e["near"]) for e in answer["events"]] == [
        ("e1", 0.4, "work (Midtown-Midtown South)")
    ]


def test_merge_drops_events_that_have_ended(as_of: datetime) -> None:
    """Events over by the time of the fetch are dropped; ones under way or to come are kept."""
    found = [
        _upstream_event(
            "ended", 0.1, start="2026-12-10T05:00:00-05:00", end="2026-12-10T06:59:59-05:00"
        ),
        _upstream_event(
            "ends-now", 0.1, start="2026-12-10T06:00:00-05:00", end="2026-12-10T07:00:00-05:00"
        ),
        _upstream_event(
            "under-way", 0.2, start="2026-12-10T06:00:00-05:00", end="2026-12-10T09:00:00-05:00"
        ),
        _upstream_event("no-end-started", 0.3, start="2026-12-10T06:00:00-05:00", end=None),
        _upstream_event("no-end-later", 0.4, start="2026-12-11T06:00:00-05:00", end=None),
        _upstream_event("undated", 0.5, start="sometime soon"),
        _upstream_event("later", 0.6),
    ]
    merged = merge_events([(HOME, found)], as_of)
    assert [event["id"] for event in merged] == ["under-way", "no-end-later", "later"]


def test_merge_skips_nameless_events_and_stringifies_ids(as_of: datetime) -> None:
    """An event without an id or a name cannot be offered; numeric ids become strings."""
    found = [
        _upstream_event("x", 0.1, id=None),
        _upstream_event("y", 0.2, name=""),
        _upstream_event("z", 0.3, id=42),
    ]
    merged = merge_events([(HOME, found)], as_of)
    assert [event["id"] for event in merged] == ["42"]
