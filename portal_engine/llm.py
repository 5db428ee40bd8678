"""The Prefetch client: any OpenAI-compatible chat-completions endpoint.

``POST {PORTAL_PREFETCH_URL}/v1/chat/completions`` with ``PORTAL_PREFETCH_MODEL`` and, when set,
``Authorization: Bearer {PORTAL_PREFETCH_API_KEY}``. vLLM, Ollama, OpenAI and the demo's
stand-in all speak it; nothing here knows which one answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from circuitbreaker import CircuitBreaker

from portal_engine.errors import UpstreamError
from portal_engine.models import converter
from portal_engine.plugin_api import ChatMessage
from portal_engine.settings import Settings
from portal_engine.upstream import with_retries

SERVICE = "Prefetch (LLM)"


async def complete(
    client: httpx.AsyncClient,
    settings: Settings,
    messages: Sequence[ChatMessage],
    breaker: CircuitBreaker | None = None,
) -> str:
    """Send ``messages`` and return the assistant's text.

    Retries with backoff (honouring ``Retry-After``); with a ``breaker``, an endpoint that
    keeps failing is not called until the breaker lets a trial call through.

    Raises:
        UpstreamError: the endpoint failed after its retries or answered in an unknown shape.
    """
    url = settings.prefetch_url.rstrip("/") + "/v1/chat/completions"
    headers = (
        {"Authorization": f"Bearer {settings.prefetch_api_key}"}
        if settings.prefetch_api_key
        else {}
    )
    body = {
        "model": settings.prefetch_model,
        "messages": converter.unstructure(list(messages)),
        "temperature": 0,
    }

    async def call() -> httpx.Response:
        response = await client.post(
            url, json=body, headers=headers, timeout=settings.prefetch_timeout
        )
        response.raise_for_status()
        return response

    response = await with_retries(
        call, service=SERVICE, attempts=settings.upstream_attempts, breaker=breaker
    )
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise UpstreamError(SERVICE, "answered in a shape that is not a chat completion") from None
    if not isinstance(content, str):
        raise UpstreamError(SERVICE, "answered a chat completion without text content")
    return content
