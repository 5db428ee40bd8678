"""Tests for portal_engine_dining.fetchers.

How the core's fetchers and :func:`portal_engine.services.nearby` call the services, encode ids
and merge places is tested in ``tests/test_services.py``; these tests pin what dining asks for.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from portal_engine.plugin_api import FetchRequest
from portal_engine.testing import Upstreams
from portal_engine.testing.samples import HOME, ODD_USER_ID, ODD_USER_ID_PATH, WORK

from portal_engine_dining import DINING, CustomerFetcher, PlacesFetcher, ProfileFetcher


def test_only_the_customer_record_is_optional() -> None:
    """Without the profile or the places there is nothing to recommend; CIS may fail."""
    assert CustomerFetcher().optional is True
    assert ProfileFetcher().optional is False and PlacesFetcher().optional is False
    assert [fetcher.optional for fetcher in DINING.fetchers] == [False, False, True]


async def test_places_asks_for_locations_then_places_near_each(
    upstreams: Upstreams, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """The places fetcher reads the user's locations, then searches dining places around each."""
    upstreams.locations(ODD_USER_ID, [HOME, WORK])
    upstreams.nearby(HOME, [], kind="dining", radius_km=2, limit=100)
    upstreams.nearby(WORK, [], kind="dining", radius_km=2, limit=100)
    async with httpx.AsyncClient() as client:
        answer = await PlacesFetcher().fetch(client, fetch_request(ODD_USER_ID))
    first, *searches = upstreams.mock.get_requests()
    assert first.url.raw_path == f"/v1/users/{ODD_USER_ID_PATH}/locations".encode()
    assert len(searches) == 2
    assert answer == {"locations": [HOME, WORK], "places": []}
