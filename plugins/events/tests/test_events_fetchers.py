"""Tests for portal_engine_events.fetchers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.plugin_api import FetchRequest
from pytest_httpx import HTTPXMock

from portal_engine_events.fetchers import EventsFetcher, ProfileFetcher, merge_events

ODD_ID = "team/a:b c"
ODD_ID_PATH = "team%2Fa%3Ab%20c"

HOME = {
    "label": "home",
    "nta_code": "QN70",
    "neighbourhood": "Astoria",
    "borough": "Queens",
    "lat": 40.76,
    "lon": -73.92,
}
WORK = {
    "label": "work",
    "nta_code": "MN17",
    "neighbourhood": "Midtown-Midtown South",
    "borough": "Manhattan",
    "lat": 40.75,
    "lon": -73.98,
}


def _nearby_url(location: dict[str, Any]) -> httpx.URL:
    params = {
        "lat": location["lat"],
        "lon": location["lon"],
        "kind": "events",
        "radius_km": 3,
        "limit": 100,
    }
    return httpx.URL("http://lie.test/v1/places/nearby", params=params)


def _upstream_event(event_id: str, distance_km: float, **fields: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "name": f"Event {event_id}",
        "primary_category": "Fitness",
        "categories": ["Fitness", "Outdoor Fitness"],
        "venue": "Bryant Park",
        "borough": "Manhattan",
        "neighbourhood": "Midtown-Midtown South",
        "lat": 40.75,
        "lon": -73.98,
        "start": "2026-12-12T10:00:00-05:00",
        "end": "2026-12-12T11:00:00-05:00",
        "url": f"https://www.nycgovparks.org/events/{event_id}",
        "distance_km": distance_km,
        **fields,
    }


def _fetcher(now: datetime) -> EventsFetcher:
    return EventsFetcher(clock=lambda: now)


async def test_profile_calls_user_profile_service_with_encoded_id(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """The profile fetcher asks for exactly the user's profile, whatever the id holds."""
    httpx_mock.add_response(json={"user_id": ODD_ID})
    async with httpx.AsyncClient() as client:
        answer = await ProfileFetcher().fetch(client, fetch_request(ODD_ID))
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.url.host == "profile.test"
    assert sent.url.raw_path == f"/v1/users/{ODD_ID_PATH}".encode()
    assert answer == {"user_id": ODD_ID}


async def test_profile_404_raises_upstream_not_found(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """An unknown user fails the refresh with UpstreamNotFound instead of an empty profile."""
    httpx_mock.add_response(status_code=404, json={"error": "no such user"})
    async with httpx.AsyncClient() as client:
        with pytest.raises(UpstreamNotFound):
            await ProfileFetcher().fetch(client, fetch_request("ghost"))


def test_both_fetchers_are_required() -> None:
    """Without the profile or the events there is nothing to recommend, so neither is optional."""
    assert ProfileFetcher().optional is False
    assert EventsFetcher().optional is False
    assert (ProfileFetcher().name, EventsFetcher().name) == ("profile", "events")


async def test_events_asks_for_locations_then_events_near_each(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """The events fetcher reads the user's locations, then searches events 3 km around each."""
    httpx_mock.add_response(
        url=f"http://lie.test/v1/users/{ODD_ID_PATH}/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_response(url=_nearby_url(HOME), json={"places": []})
    httpx_mock.add_response(url=_nearby_url(WORK), json={"places": []})
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request(ODD_ID))
    first, *searches = httpx_mock.get_requests()
    assert first.url.raw_path == f"/v1/users/{ODD_ID_PATH}/locations".encode()
    assert {request.url.params["kind"] for request in searches} == {"events"}
    assert answer == {"as_of": as_of.isoformat(), "locations": [HOME, WORK], "events": []}


async def test_events_keeps_each_event_once_at_its_nearest_location(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """An event near both home and work appears once, with the smaller distance and that place."""
    httpx_mock.add_response(
        url="http://lie.test/v1/users/u1/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_response(
        url=_nearby_url(HOME),
        json={"places": [_upstream_event("e1", 2.8), _upstream_event("e2", 0.3)]},
    )
    httpx_mock.add_response(
        url=_nearby_url(WORK),
        json={"places": [_upstream_event("e1", 0.4), _upstream_event("e3", 0.9)]},
    )
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request("u1"))
    events = {event["id"]: event for event in answer["events"]}
    assert sorted(events) == ["e1", "e2", "e3"]
    assert events["e1"]["distance_km"] == 0.4
    assert events["e1"]["near"] == "work (Midtown-Midtown South)"
    assert events["e2"]["near"] == "home (Astoria)"
    assert [event["id"] for event in answer["events"]] == ["e2", "e1", "e3"]


async def test_events_searches_all_locations_at_once(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """The per-location searches run concurrently, so a slow location does not delay the others."""
    in_flight = asyncio.Barrier(2)

    async def both_at_once(request: httpx.Request) -> httpx.Response:
        # Only passes when the other location's search is in flight too.
        await asyncio.wait_for(in_flight.wait(), timeout=2)
        return httpx.Response(200, json={"places": []})

    httpx_mock.add_response(
        url="http://lie.test/v1/users/u1/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_callback(both_at_once, url=_nearby_url(HOME))
    httpx_mock.add_callback(both_at_once, url=_nearby_url(WORK))
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request("u1"))
    assert answer["events"] == []


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


async def test_events_without_locations_finds_nothing(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], as_of: datetime
) -> None:
    """A user with no known locations gets no events and no searches are made."""
    httpx_mock.add_response(url="http://lie.test/v1/users/u1/locations", json={"locations": []})
    async with httpx.AsyncClient() as client:
        answer = await _fetcher(as_of).fetch(client, fetch_request("u1"))
    assert answer["events"] == []
    assert len(httpx_mock.get_requests()) == 1
