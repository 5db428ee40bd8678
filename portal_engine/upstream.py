"""Calling external services: the one helper fetchers use, and what counts as worth a retry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from portal_engine.errors import UpstreamError, UpstreamNotFound


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
