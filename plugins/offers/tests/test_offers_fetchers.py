"""Tests for portal_engine_offers.fetchers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from portal_engine.errors import UpstreamError, UpstreamNotFound
from portal_engine.plugin_api import FetchRequest
from portal_engine.testing.samples import ODD_USER_ID as ODD_ID
from portal_engine.testing.samples import ODD_USER_ID_PATH as ODD_ID_PATH
from pytest_httpx import HTTPXMock

from portal_engine_offers.fetchers import OFFERS_LIMIT, OffersFetcher, ProfileFetcher

Factory = Callable[..., Any]


def _offers_url(segment: str) -> httpx.URL:
    return httpx.URL("http://cis.test/v1/offers", params={"segment": segment, "limit": 50})


async def test_offers_asks_for_the_customer_then_the_offers_of_their_segment(
    httpx_mock: HTTPXMock,
    fetch_request: Callable[[str], FetchRequest],
    customer: Factory,
    offer: Factory,
) -> None:
    """The offers fetcher reads the segment from CIS, then asks CIS for that segment's offers."""
    record = customer(customer_id=ODD_ID, segment="premium")
    httpx_mock.add_response(url=f"http://cis.test/v1/customers/{ODD_ID_PATH}", json=record)
    httpx_mock.add_response(url=_offers_url("premium"), json={"offers": [offer("85123A")]})
    async with httpx.AsyncClient() as client:
        answer = await OffersFetcher().fetch(client, fetch_request(ODD_ID))
    first, second = httpx_mock.get_requests()
    assert first.url.raw_path == f"/v1/customers/{ODD_ID_PATH}".encode()
    assert second.url.path == "/v1/offers"
    assert dict(second.url.params) == {"segment": "premium", "limit": str(OFFERS_LIMIT)}
    assert answer == {"customer": record, "segment": "premium", "offers": [offer("85123A")]}


async def test_segment_is_encoded_as_a_query_value(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], customer: Factory
) -> None:
    """A segment holding URL syntax reaches CIS as one query value, not as extra parameters."""
    odd = "gold&limit=1"
    httpx_mock.add_response(url="http://cis.test/v1/customers/u1", json=customer(segment=odd))
    httpx_mock.add_response(url=_offers_url(odd), json={"offers": []})
    async with httpx.AsyncClient() as client:
        answer = await OffersFetcher().fetch(client, fetch_request("u1"))
    sent = httpx_mock.get_requests()[1]
    assert sent.url.params.get_list("segment") == [odd]
    assert sent.url.params.get_list("limit") == ["50"]
    assert answer["offers"] == []


async def test_unknown_customer_fails_without_asking_for_offers(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest]
) -> None:
    """A user CIS does not know fails with UpstreamNotFound, and no offers are asked for."""
    httpx_mock.add_response(status_code=404, json={"error": "no user 'ghost'"})
    async with httpx.AsyncClient() as client:
        with pytest.raises(UpstreamNotFound):
            await OffersFetcher().fetch(client, fetch_request("ghost"))
    assert len(httpx_mock.get_requests()) == 1


async def test_customer_without_segment_is_an_upstream_error(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], customer: Factory
) -> None:
    """A customer record with no segment fails clearly instead of asking for every offer."""
    httpx_mock.add_response(json=customer(segment=None))
    async with httpx.AsyncClient() as client:
        with pytest.raises(UpstreamError, match="names no segment"):
            await OffersFetcher().fetch(client, fetch_request("u1"))
    assert len(httpx_mock.get_requests()) == 1


async def test_offers_tolerates_a_missing_list_and_drops_non_objects(
    httpx_mock: HTTPXMock,
    fetch_request: Callable[[str], FetchRequest],
    customer: Factory,
    offer: Factory,
) -> None:
    """An offers answer without a list means no offers; entries that are not objects are dropped."""
    httpx_mock.add_response(
        url="http://cis.test/v1/customers/u1", json=customer(), is_reusable=True
    )
    httpx_mock.add_response(url=_offers_url("standard"), json={"offers": None})
    httpx_mock.add_response(url=_offers_url("standard"), json={"offers": ["x", offer("a"), 3]})
    async with httpx.AsyncClient() as client:
        empty = await OffersFetcher().fetch(client, fetch_request("u1"))
        some = await OffersFetcher().fetch(client, fetch_request("u1"))
    assert empty["offers"] == []
    assert some["offers"] == [offer("a")]


async def test_profile_calls_user_profile_service_with_encoded_id_and_is_optional(
    httpx_mock: HTTPXMock, fetch_request: Callable[[str], FetchRequest], profile: Factory
) -> None:
    """The profile fetcher asks for exactly the user's profile and is optional."""
    httpx_mock.add_response(json=profile(user_id=ODD_ID))
    async with httpx.AsyncClient() as client:
        answer = await ProfileFetcher().fetch(client, fetch_request(ODD_ID))
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.url.host == "profile.test"
    assert sent.url.raw_path == f"/v1/users/{ODD_ID_PATH}".encode()
    assert answer["user_id"] == ODD_ID
    assert ProfileFetcher().optional is True
    assert OffersFetcher().optional is False
