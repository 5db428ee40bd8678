"""Tests for portal_engine_dining.fetchers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.plugin_api import FetchRequest
from pytest_httpx import HTTPXMock

from portal_engine_dining.fetchers import CustomerFetcher, PlacesFetcher, ProfileFetcher

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
        "kind": "dining",
        "radius_km": 2,
        "limit": 100,
    }
    return httpx.URL("http://lie.test/v1/places/nearby", params=params)


def _upstream_place(place_id: str, distance_km: float, **fields: Any) -> dict[str, Any]:
    return {
        "id": place_id,
        "name": f"Place {place_id}",
        "place_type": "restaurant",
        "cuisine": "Japanese",
        "borough": "Manhattan",
        "neighbourhood": "Midtown-Midtown South",
        "address": "1 5th Ave",
        "lat": 40.75,
        "lon": -73.98,
        "inspection_grade": "A",
        "distance_km": distance_km,
        **fields,
    }


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
    httpx_mock.add_response(status_code=404, json={"detail": "no such user"})
    async with httpx.AsyncClient() as client:
        with pytest.raises(UpstreamNotFound):
            await ProfileFetcher().fetch(client, fetch_request("ghost"))


async def test_customer_calls_cis_with_encoded_id_and_is_optional(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """The customer fetcher asks CIS for the user's record and may fail without failing a set."""
    record = {"customer_id": "c1", "segment": "gold", "price_level": 3, "member_since": "2020"}
    httpx_mock.add_response(json=record)
    async with httpx.AsyncClient() as client:
        answer = await CustomerFetcher().fetch(client, fetch_request(ODD_ID))
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.url.host == "cis.test"
    assert sent.url.raw_path == f"/v1/customers/{ODD_ID_PATH}".encode()
    assert answer == record
    assert CustomerFetcher().optional is True
    assert ProfileFetcher().optional is False and PlacesFetcher().optional is False


async def test_places_asks_for_locations_then_places_near_each(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """The places fetcher reads the user's locations, then searches dining places around each."""
    httpx_mock.add_response(
        url=f"http://lie.test/v1/users/{ODD_ID_PATH}/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_response(url=_nearby_url(HOME), json={"places": []})
    httpx_mock.add_response(url=_nearby_url(WORK), json={"places": []})
    async with httpx.AsyncClient() as client:
        answer = await PlacesFetcher().fetch(client, fetch_request(ODD_ID))
    first = httpx_mock.get_requests()[0]
    assert first.url.raw_path == f"/v1/users/{ODD_ID_PATH}/locations".encode()
    assert answer == {"locations": [HOME, WORK], "places": []}


async def test_places_keeps_each_place_once_at_its_nearest_location(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """A place near both home and work appears once, with the smaller distance and that location."""
    httpx_mock.add_response(
        url="http://lie.test/v1/users/u1/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_response(
        url=_nearby_url(HOME),
        json={"places": [_upstream_place("p1", 1.8), _upstream_place("p2", 0.3)]},
    )
    httpx_mock.add_response(
        url=_nearby_url(WORK),
        json={"places": [_upstream_place("p1", 0.4), _upstream_place("p3", 0.9)]},
    )
    async with httpx.AsyncClient() as client:
        answer = await PlacesFetcher().fetch(client, fetch_request("u1"))
    places = {place["id"]: place for place in answer["places"]}
    assert sorted(places) == ["p1", "p2", "p3"]
    assert places["p1"]["distance_km"] == 0.4
    assert places["p1"]["near"] == "work (Midtown-Midtown South)"
    assert places["p2"]["near"] == "home (Astoria)"
    assert [place["id"] for place in answer["places"]] == ["p2", "p1", "p3"]


async def test_places_searches_all_locations_at_once(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
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
        answer = await PlacesFetcher().fetch(client, fetch_request("u1"))
    assert answer["places"] == []


async def test_places_without_locations_finds_nothing(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """A user with no known locations gets no places and no searches are made."""
    httpx_mock.add_response(url="http://lie.test/v1/users/u1/locations", json={"locations": []})
    async with httpx.AsyncClient() as client:
        answer = await PlacesFetcher().fetch(client, fetch_request("u1"))
    assert answer == {"locations": [], "places": []}
    assert len(httpx_mock.get_requests()) == 1
