"""Tests for :mod:`portal_engine.services`: the clients of User Profile, LIE and CIS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from portal_engine.errors import UpstreamNotFound
from portal_engine.services import (
    CustomerFetcher,
    Keep,
    Nearby,
    ProfileFetcher,
    json_list,
    merge_nearby,
    nearby,
    service_url,
)
from portal_engine.testing import Upstreams
from portal_engine.testing.samples import (
    HOME,
    ODD_USER_ID,
    ODD_USER_ID_PATH,
    SERVICES,
    WORK,
    customer,
    event,
    fetch_request,
    nearby_params,
    place,
    profile,
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client, as the host would own it."""
    async with httpx.AsyncClient() as opened:
        yield opened


def _nearby_url(location: dict[str, Any], kind: str = "dining", radius_km: float = 2) -> httpx.URL:
    params = nearby_params(location, kind=kind, radius_km=radius_km, limit=100)
    return httpx.URL("http://lie.test/v1/places/nearby", params=params)


async def _nearby(
    client: httpx.AsyncClient,
    user_id: str = "u1",
    *,
    kind: str = "dining",
    radius_km: float = 2,
    keep: Keep | None = None,
) -> Nearby:
    return await nearby(
        client, SERVICES, user_id, kind=kind, radius_km=radius_km, limit=100, keep=keep
    )


def test_service_url_encodes_every_segment_whole() -> None:
    """Slashes, colons and spaces in a segment are encoded, so it stays one path segment."""
    assert service_url("http://lie.test/", "v1", "users", ODD_USER_ID, "locations") == (
        f"http://lie.test/v1/users/{ODD_USER_ID_PATH}/locations"
    )
    assert service_url("http://cis.test/base", "v1", "offers") == "http://cis.test/base/v1/offers"


def test_json_list_tolerates_a_missing_list_and_drops_non_objects() -> None:
    """A missing or null list, or an answer that is not an object, reads as an empty list."""
    assert json_list({"places": [{"id": 1}, "x", 3, None, {"id": 2}]}, "places") == [
        {"id": 1},
        {"id": 2},
    ]
    assert json_list({"places": None}, "places") == []
    assert json_list({}, "places") == []
    assert json_list(["not", "an", "object"], "places") == []


async def test_profile_fetcher_asks_for_exactly_the_users_profile(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """The profile fetcher asks the profile service for the user, whatever the id holds."""
    httpx_mock.add_response(json={"user_id": ODD_USER_ID})
    answer = await ProfileFetcher().fetch(client, fetch_request(ODD_USER_ID, "any"))
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.url.host == "profile.test"
    assert sent.url.raw_path == f"/v1/users/{ODD_USER_ID_PATH}".encode()
    assert answer == {"user_id": ODD_USER_ID}
    assert (ProfileFetcher().name, ProfileFetcher().optional) == ("profile", False)


async def test_unknown_user_is_upstream_not_found(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """An unknown user fails with UpstreamNotFound naming the service, not an empty profile."""
    httpx_mock.add_response(status_code=404, json={"error": "no such user"})
    with pytest.raises(UpstreamNotFound, match="user profile"):
        await ProfileFetcher().fetch(client, fetch_request("ghost", "any"))


async def test_customer_fetcher_asks_cis_and_is_optional(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """The customer fetcher asks CIS for the user's record; a set can be made without it."""
    record = customer(customer_id=ODD_USER_ID, segment="gold")
    httpx_mock.add_response(json=record)
    answer = await CustomerFetcher().fetch(client, fetch_request(ODD_USER_ID, "any"))
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.url.host == "cis.test"
    assert sent.url.raw_path == f"/v1/customers/{ODD_USER_ID_PATH}".encode()
    assert answer == record
    assert (CustomerFetcher().name, CustomerFetcher().optional) == ("customer", True)


async def test_nearby_asks_for_locations_then_searches_around_each(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """Locations come first, then one search per location with coordinates, with the options."""
    nowhere = {"label": "cabin", "neighbourhood": "Unknown", "lat": None, "lon": None}
    httpx_mock.add_response(
        url=f"http://lie.test/v1/users/{ODD_USER_ID_PATH}/locations",
        json={"locations": [HOME, nowhere, WORK]},
    )
    httpx_mock.add_response(url=_nearby_url(HOME, "events", 3), json={"places": []})
    httpx_mock.add_response(url=_nearby_url(WORK, "events", 3), json={"places": []})
    found = await _nearby(client, ODD_USER_ID, kind="events", radius_km=3)
    assert found.locations == [HOME, WORK]
    assert found.places == []
    assert len(httpx_mock.get_requests()) == 3


async def test_nearby_keeps_each_place_once_at_its_nearest_location(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A place near both home and work appears once, with the smaller distance and that location."""
    httpx_mock.add_response(
        url="http://lie.test/v1/users/u1/locations", json={"locations": [HOME, WORK]}
    )
    httpx_mock.add_response(
        url=_nearby_url(HOME),
        json={"places": [place("p1", distance_km=1.8), place("p2", distance_km=0.3)]},
    )
    httpx_mock.add_response(
        url=_nearby_url(WORK),
        json={"places": [place("p1", distance_km=0.4), place("p3", distance_km=0.9)]},
    )
    found = await _nearby(client)
    by_id = {thing["id"]: thing for thing in found.places}
    assert by_id["p1"]["distance_km"] == 0.4
    assert by_id["p1"]["near"] == "work (Midtown-Midtown South)"
    assert by_id["p2"]["near"] == "home (Astoria)"
    assert [thing["id"] for thing in found.places] == ["p2", "p1", "p3"]


async def test_nearby_searches_all_locations_at_once(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
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
    found = await _nearby(client)
    assert found.places == []


async def test_nearby_without_locations_searches_nothing(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A user with no known locations (or a null list) gets nothing, and no search is made."""
    httpx_mock.add_response(url="http://lie.test/v1/users/u1/locations", json={"locations": None})
    found = await _nearby(client)
    assert (found.locations, found.places) == ([], [])
    assert len(httpx_mock.get_requests()) == 1


async def test_nearby_keeps_only_what_keep_accepts(upstreams: Upstreams) -> None:
    """``keep`` drops things before they are merged; the kit's helpers answer as LIE would."""
    upstreams.locations("u1", [HOME])
    films = [event("e1", primary_category="Film"), event("e2", primary_category="Fitness")]
    upstreams.nearby(HOME, films, kind="events", radius_km=3)
    async with httpx.AsyncClient() as client:
        found = await _nearby(
            client,
            kind="events",
            radius_km=3,
            keep=lambda thing: thing["primary_category"] == "Fitness",
        )
    assert [thing["id"] for thing in found.places] == ["e2"]


async def test_kit_answers_profile_and_customer_as_the_fetchers_ask(upstreams: Upstreams) -> None:
    """Upstreams.profile and Upstreams.customer answer the core's fetchers for an odd id."""
    upstreams.profile(ODD_USER_ID, profile(user_id=ODD_USER_ID))
    upstreams.customer(ODD_USER_ID, customer(customer_id=ODD_USER_ID))
    request = fetch_request(ODD_USER_ID, "any")
    async with httpx.AsyncClient() as client:
        assert (await ProfileFetcher().fetch(client, request))["user_id"] == ODD_USER_ID
        assert (await CustomerFetcher().fetch(client, request))["segment"] == "standard"


def test_merge_drops_what_cannot_be_offered_and_stringifies_ids() -> None:
    """Things without an id or a name are dropped; numeric ids become strings."""
    found = [place("x", id=None), place("y", name=""), place("z", id=42)]
    merged = merge_nearby([(HOME, found)], radius_km=2)
    assert [thing["id"] for thing in merged] == ["42"]


def test_merge_counts_a_missing_distance_as_the_radius() -> None:
    """A thing sent without a distance ranks as far as the search reached, after known-near ones."""
    found = [place("a", distance_km=None), place("b", distance_km=1.9)]
    merged = merge_nearby([(HOME, found)], radius_km=2)
    assert [(thing["id"], thing["distance_km"]) for thing in merged] == [("b", 1.9), ("a", 2.0)]


def test_merge_names_a_location_without_label_or_neighbourhood_plainly() -> None:
    """A location with no neighbourhood is named by its label, one with no label "location"."""
    bare = [({"label": "gym"}, [place("a")]), ({}, [place("b", distance_km=0.5)])]
    near = {thing["id"]: thing["near"] for thing in merge_nearby(bare, radius_km=2)}
    assert near == {"a": "gym", "b": "location"}


def test_merge_leaves_the_answers_unchanged() -> None:
    """Merged things are copies: the service's answers are not modified."""
    sent = place("p1", id=7)
    merge_nearby([(HOME, [sent])], radius_km=2)
    assert sent["id"] == 7 and "near" not in sent


@pytest.mark.parametrize(("user_id", "segment"), [("..", "%2E%2E"), (".", "%2E"), ("a..b", "a..b")])
def test_dot_segment_ids_cannot_climb_the_path(user_id: str, segment: str) -> None:
    """An id of ".." or "." stays a segment of its own instead of climbing to another endpoint."""
    url = service_url("http://lie.test/lie", "v1", "users", user_id, "locations")
    assert url == f"http://lie.test/lie/v1/users/{segment}/locations"
    assert httpx.URL(url).raw_path == f"/lie/v1/users/{segment}/locations".encode()
