"""Calling external services: the one helper fetchers use, and what counts as worth a retry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, cast

import httpx
from circuitbreaker import CircuitBreaker
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from portal_engine.errors import UpstreamError, UpstreamNotFound

T = TypeVar("T")


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    params: Mapping[str, str | int | float] | None = None,
) -> Any:
    """GET ``url`` and return its JSON body.

    Args:
        client: the host-owned client (it carries timeouts and headers).
        url: the full URL to call.
        service: the service's name for error messages (``"user profile"``, ``"LIE"`` ...).
        params: query parameters.

    Raises:
        UpstreamNotFound: the service answered 404.
        httpx.HTTPStatusError: any other 4xx/5xx (the host retries 429 and 5xx).
        httpx.TransportError: the service could not be reached or timed out (retried).
        UpstreamError: the body is not JSON.
    """
    response = await client.get(url, params=params)
    if response.status_code == 404:
        # raw_path keeps the percent-encoding, so "no%2Fbody" is not shown as "no/body"
        path = response.request.url.raw_path.decode("ascii", "replace").split("?")[0]
        raise UpstreamNotFound(service, f"{path} was not found (404)")
    response.raise_for_status()
    try:
        return response.json()
    except ValueError:
        raise UpstreamError(service, f"answered {url} with a body that is not JSON") from None


def is_retryable(exc: BaseException) -> bool:
    """True for failures another try may cure: network errors, timeouts, 429 and 5xx."""
    if isinstance(exc, httpx.TransportError | TimeoutError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return False


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds a 429 (or 503) answer asks us to wait, from its ``Retry-After`` header."""
    if not isinstance(exc, httpx.HTTPStatusError):
        return None
    value = exc.response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class _Wait:
    """Exponential backoff with full jitter, or the server's ``Retry-After`` when it gives one.

    Both are capped: a server asking for an hour must not hold a worker for an hour.
    """

    def __init__(self, max_wait: float, max_retry_after: float) -> None:
        self._backoff = wait_random_exponential(multiplier=0.2, max=max_wait)
        self._max_retry_after = max_retry_after

    def __call__(self, state: RetryCallState) -> float:
        outcome = state.outcome
        asked = retry_after(outcome.exception() if outcome is not None else None)
        if asked is not None:
            return min(asked, self._max_retry_after)
        return float(self._backoff(state))


class Breakers:
    """One circuit breaker per upstream service, for one worker process's lifetime.

    After ``failures`` failed calls in a row (each already retried) a service is not called
    for ``reset_after`` seconds; then one trial call decides whether it is back.
    """

    def __init__(self, failures: int = 5, reset_after: float = 30.0) -> None:
        self._failures = failures
        self._reset_after = reset_after
        self._by_service: dict[str, CircuitBreaker] = {}

    def __call__(self, service: str) -> CircuitBreaker:
        """The breaker of ``service``, made on first use."""
        breaker = self._by_service.get(service)
        if breaker is None:
            breaker = CircuitBreaker(
                failure_threshold=self._failures,
                recovery_timeout=self._reset_after,
                # A 404 is an answer, not a sign the service is down.
                expected_exception=lambda kind, _: (
                    issubclass(kind, UpstreamError) and not issubclass(kind, UpstreamNotFound)
                ),
                name=service,
            )
            self._by_service[service] = breaker
        return breaker


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    service: str,
    attempts: int,
    max_wait: float = 4.0,
    timeout: float | None = None,
    breaker: CircuitBreaker | None = None,
    max_retry_after: float = 30.0,
) -> T:
    """Await ``call()`` up to ``attempts`` times, backing off exponentially with jitter.

    Only :func:`is_retryable` failures are retried; a ``Retry-After`` on a 429 is honoured (up
    to ``max_retry_after`` seconds). ``timeout`` bounds each try. With a ``breaker``, a service
    that keeps failing is not called at all until the breaker lets a trial call through.

    Raises:
        UpstreamError: after the last try, or at once while the breaker is open; the message
            says which service failed and how.
    """
    if breaker is not None and breaker.opened:
        raise UpstreamError(
            service,
            f"is failing (circuit open after {breaker.failure_count} failed calls in a row); "
            f"not called for another {breaker.open_remaining:.0f}s",
        )
    if breaker is not None:
        return cast(
            T,
            await breaker.call_async(
                with_retries,
                call,
                service=service,
                attempts=attempts,
                max_wait=max_wait,
                timeout=timeout,
                max_retry_after=max_retry_after,
            ),
        )

    async def attempt_once() -> T:
        if timeout is None:
            return await call()
        async with asyncio.timeout(timeout):
            return await call()

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(attempts, 1)),
        wait=_Wait(max_wait, max_retry_after),
        retry=retry_if_exception(is_retryable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await attempt_once()
    except (httpx.HTTPError, TimeoutError) as exc:
        tries = retrying.statistics.get("attempt_number", 1)
        raise UpstreamError(service, _describe(exc, tries)) from exc
    raise AssertionError("unreachable")  # pragma: no cover - reraise=True always raises


def _describe(exc: httpx.HTTPError | TimeoutError, tries: int) -> str:
    """What went wrong, for a person: which status or fault, after how many tries."""
    after = f"after {tries} {'try' if tries == 1 else 'tries'}"
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        hint = "check that the service is healthy" if status >= 500 else "check the request"
        return f"answered HTTP {status} {after}; {hint}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"did not answer in time {after} ({type(exc).__name__})"
    return f"could not be reached {after} ({type(exc).__name__}: {exc}); check its URL setting"
