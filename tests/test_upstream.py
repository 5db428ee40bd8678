"""Tests for :mod:`portal_engine.upstream`: calling external services and retrying them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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


async def test_retry_after_on_429_is_honoured(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A 429 with Retry-After makes the next try wait that long (capped), then succeed."""
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "0.3"})
    httpx_mock.add_response(url=URL, json={"ok": True})
    started = asyncio.get_running_loop().time()
    assert await _fetch(client) == {"ok": True}
    assert asyncio.get_running_loop().time() - started >= 0.3


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("-5", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_reads_seconds(header: str | None, expected: float | None) -> None:
    """Retry-After in seconds is read; nonsense or absence gives no wait of its own."""
    headers = {"Retry-After": header} if header is not None else {}
    response = httpx.Response(429, headers=headers, request=httpx.Request("GET", URL))
    error = httpx.HTTPStatusError("429", request=response.request, response=response)
    assert upstream.retry_after(error) == expected


def test_retry_after_reads_an_http_date() -> None:
    """Retry-After as an HTTP date is turned into seconds from now."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    response = httpx.Response(429, headers={"Retry-After": when}, request=httpx.Request("GET", URL))
    error = httpx.HTTPStatusError("429", request=response.request, response=response)
    assert 25 <= (upstream.retry_after(error) or 0) <= 30


async def test_a_slow_try_is_cut_by_the_timeout_and_retried() -> None:
    """A try slower than its timeout is abandoned and retried; the error says it was slow."""
    calls = 0

    async def slow() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(5)

    with pytest.raises(UpstreamError, match="did not answer in time after 2 tries"):
        await with_retries(slow, service=SERVICE, attempts=2, timeout=0.05)
    assert calls == 2


async def test_breaker_opens_after_repeated_failures_and_spares_the_service(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """After N failed calls a dead service is not called again until the breaker resets."""
    httpx_mock.add_response(url=URL, status_code=503, is_reusable=True)
    breakers = upstream.Breakers(failures=2, reset_after=60)

    async def call() -> Any:
        return await with_retries(
            lambda: get_json(client, URL, service=SERVICE),
            service=SERVICE,
            attempts=2,
            breaker=breakers(SERVICE),
        )

    for _ in range(2):
        with pytest.raises(UpstreamError, match="HTTP 503"):
            await call()
    sent = len(httpx_mock.get_requests())
    with pytest.raises(UpstreamError, match="circuit open"):
        await call()
    assert len(httpx_mock.get_requests()) == sent == 4


async def test_breaker_ignores_404_and_recovers(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A 404 is an answer, not an outage: it never opens the breaker."""
    httpx_mock.add_response(url=URL, status_code=404, is_reusable=True)
    breaker = upstream.Breakers(failures=1, reset_after=60)(SERVICE)
    for _ in range(3):
        with pytest.raises(UpstreamNotFound):
            await with_retries(
                lambda: get_json(client, URL, service=SERVICE),
                service=SERVICE,
                attempts=1,
                breaker=breaker,
            )
    assert not breaker.opened
