"""Tests for :mod:`portal_engine.upstream`: calling external services and retrying them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock
from tenacity import wait_none

from portal_engine import upstream
from portal_engine.errors import UpstreamError, UpstreamNotFound
from portal_engine.upstream import get_json, is_retryable, with_retries

URL = "http://profiles.test/users/u1"
SERVICE = "user profile"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: the tests count tries, they do not wait for them."""
    monkeypatch.setattr(upstream, "wait_random_exponential", lambda **_: wait_none())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client, as the host would own it."""
    async with httpx.AsyncClient() as opened:
        yield opened


async def _fetch(client: httpx.AsyncClient, attempts: int = 3) -> Any:
    return await with_retries(
        lambda: get_json(client, URL, service=SERVICE), service=SERVICE, attempts=attempts
    )


async def test_get_json_returns_the_body(httpx_mock: HTTPXMock, client: httpx.AsyncClient) -> None:
    """A 200 answer's JSON body is returned as Python data, with the query parameters sent."""
    httpx_mock.add_response(url=f"{URL}?limit=5", json={"name": "Ada", "likes": ["pizza"]})
    body = await get_json(client, URL, service=SERVICE, params={"limit": 5})
    assert body == {"name": "Ada", "likes": ["pizza"]}


async def test_404_is_not_found_and_not_retried(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A 404 means the service does not know the thing: UpstreamNotFound after one request."""
    httpx_mock.add_response(url=URL, status_code=404, is_reusable=True)
    with pytest.raises(UpstreamNotFound) as info:
        await _fetch(client, attempts=3)
    assert info.value.service == SERVICE
    assert "404" in str(info.value)
    assert len(httpx_mock.get_requests()) == 1


async def test_a_body_that_is_not_json_is_an_upstream_error(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A 200 answer that is not JSON fails with an error naming the service, without retrying."""
    httpx_mock.add_response(url=URL, text="<html>Bad gateway</html>", is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=3)
    assert not isinstance(info.value, UpstreamNotFound)
    assert str(info.value).startswith(f"{SERVICE}:")
    assert "not JSON" in str(info.value)
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_transient_statuses_are_retried_until_success(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, status: int
) -> None:
    """5xx and 429 answers are tried again, and a later success is returned."""
    httpx_mock.add_response(url=URL, status_code=status)
    httpx_mock.add_response(url=URL, status_code=status)
    httpx_mock.add_response(url=URL, json={"ok": True})
    assert await _fetch(client, attempts=3) == {"ok": True}
    assert len(httpx_mock.get_requests()) == 3


@pytest.mark.parametrize("attempts", [1, 2, 4])
@pytest.mark.parametrize("status", [500, 429])
async def test_persistent_failures_stop_after_the_attempts(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, status: int, attempts: int
) -> None:
    """A service that keeps failing is tried ``attempts`` times, then named in the error."""
    httpx_mock.add_response(url=URL, status_code=status, is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=attempts)
    message = str(info.value)
    assert info.value.service == SERVICE
    assert message.startswith(f"{SERVICE}:")
    assert f"HTTP {status}" in message
    assert f"after {attempts} {'try' if attempts == 1 else 'tries'}" in message
    assert isinstance(info.value.__cause__, httpx.HTTPStatusError)
    assert len(httpx_mock.get_requests()) == attempts


async def test_timeouts_are_retried_then_reported(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A service that never answers in time is tried again, then reported as too slow."""
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=URL, is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=2)
    assert str(info.value).startswith(f"{SERVICE}:")
    assert "in time" in str(info.value)
    assert "ReadTimeout" in str(info.value)
    assert len(httpx_mock.get_requests()) == 2


async def test_a_timeout_then_success_is_returned(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """One slow answer does not fail the call when the next try succeeds."""
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"), url=URL)
    httpx_mock.add_response(url=URL, json=[1, 2])
    assert await _fetch(client, attempts=2) == [1, 2]


async def test_unreachable_services_are_reported_with_a_hint(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A service that cannot be reached is retried, then the error points at its URL setting."""
    httpx_mock.add_exception(httpx.ConnectError("connection refused"), url=URL, is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=3)
    message = str(info.value)
    assert message.startswith(f"{SERVICE}:")
    assert "could not be reached" in message
    assert "connection refused" in message
    assert "URL" in message
    assert len(httpx_mock.get_requests()) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 422])
async def test_client_errors_are_not_retried(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, status: int
) -> None:
    """A 4xx other than 404 and 429 will not get better: one request, then an error."""
    httpx_mock.add_response(url=URL, status_code=status, is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=3)
    assert info.value.service == SERVICE
    assert f"HTTP {status}" in str(info.value)
    assert len(httpx_mock.get_requests()) == 1


async def test_an_error_after_one_try_does_not_claim_more(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """The error tells how many tries were really made, so nobody hunts a flaky service."""
    httpx_mock.add_response(url=URL, status_code=400)
    with pytest.raises(UpstreamError) as info:
        await _fetch(client, attempts=3)
    assert "3 tries" not in str(info.value)


async def test_other_exceptions_pass_through_untouched() -> None:
    """A bug in the caller is not retried or disguised as an upstream failure."""
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("oops")

    with pytest.raises(KeyError):
        await with_retries(broken, service=SERVICE, attempts=3)
    assert calls == 1


def _status_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", URL)
    return httpx.HTTPStatusError(
        "error", request=request, response=httpx.Response(status, request=request)
    )


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("cut"), True),
        (_status_error(500), True),
        (_status_error(503), True),
        (_status_error(429), True),
        (_status_error(400), False),
        (_status_error(404), False),
        (UpstreamNotFound(SERVICE, "gone"), False),
        (UpstreamError(SERVICE, "not JSON"), False),
        (ValueError("bug"), False),
    ],
)
def test_is_retryable(exc: BaseException, retry: bool) -> None:
    """Only failures another try may cure are retried."""
    assert is_retryable(exc) is retry
