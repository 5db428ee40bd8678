"""Calling external services: the one helper fetchers use, and what counts as worth a retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

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
        raise UpstreamNotFound(service, f"{response.request.url.path} was not found (404)")
    response.raise_for_status()
    try:
        return response.json()
    except ValueError:
        raise UpstreamError(service, f"answered {url} with a body that is not JSON") from None


def is_retryable(exc: BaseException) -> bool:
    """True for failures another try may cure: network errors, timeouts, 429 and 5xx."""
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return False


async def with_retries(
    call: Callable[[], Awaitable[T]], *, service: str, attempts: int, max_wait: float = 4.0
) -> T:
    """Await ``call()`` up to ``attempts`` times, backing off exponentially with jitter.

    Only :func:`is_retryable` failures are retried; after the last try the failure becomes an
    :class:`UpstreamError` that says which service failed and how.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(attempts, 1)),
        wait=wait_random_exponential(multiplier=0.2, max=max_wait),
        retry=retry_if_exception(is_retryable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await call()
    except httpx.HTTPError as exc:
        tries = retrying.statistics.get("attempt_number", 1)
        raise UpstreamError(service, _describe(exc, tries)) from exc
    raise AssertionError("unreachable")  # pragma: no cover - reraise=True always raises


def _describe(exc: httpx.HTTPError, tries: int) -> str:
    """What went wrong, for a person: which status or fault, after how many tries."""
    after = f"after {tries} {'try' if tries == 1 else 'tries'}"
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        hint = "check that the service is healthy" if status >= 500 else "check the request"
        return f"answered HTTP {status} {after}; {hint}"
    if isinstance(exc, httpx.TimeoutException):
        return f"did not answer in time {after} ({type(exc).__name__})"
    return f"could not be reached {after} ({type(exc).__name__}: {exc}); check its URL setting"
