"""Tests for :mod:`portal_engine.llm`: the OpenAI-compatible chat-completions client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock
from tenacity import wait_none

from portal_engine import llm, upstream
from portal_engine.errors import UpstreamError
from portal_engine.plugin_api import ChatMessage
from portal_engine.settings import Settings

PREFETCH = "http://llm.test/prefetch"
COMPLETIONS = f"{PREFETCH}/v1/chat/completions"
MESSAGES = [
    ChatMessage("system", "You rank recommendations."),
    ChatMessage("user", '<data name="user">\n{"name": "Ada"}\n</data>'),
]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: the tests count tries, they do not wait for them."""
    monkeypatch.setattr(upstream, "wait_random_exponential", lambda **_: wait_none())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client, as the worker would own it."""
    async with httpx.AsyncClient() as opened:
        yield opened


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "prefetch_url": PREFETCH,
        "prefetch_model": "llama-test",
        "upstream_attempts": 2,
    }
    values.update(overrides)
    return Settings(**values)


def _completion(content: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


async def test_posts_model_and_messages_and_returns_the_content(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """The client POSTs the model and messages to ``/v1/chat/completions`` and returns the text."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, json=_completion('{"items": []}'))
    content = await llm.complete(client, _settings(), MESSAGES)
    assert content == '{"items": []}'
    (request,) = httpx_mock.get_requests()
    body = json.loads(request.content)
    assert body["model"] == "llama-test"
    assert body["messages"] == [
        {"role": "system", "content": "You rank recommendations."},
        {"role": "user", "content": MESSAGES[1].content},
    ]


@pytest.mark.parametrize("base", [PREFETCH, f"{PREFETCH}/"], ids=["bare", "trailing-slash"])
async def test_url_is_built_from_the_prefetch_setting(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, base: str
) -> None:
    """A trailing slash on ``PORTAL_PREFETCH_URL`` does not change the URL called."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, json=_completion("ok"))
    assert await llm.complete(client, _settings(prefetch_url=base), MESSAGES) == "ok"


async def test_sends_the_api_key_as_a_bearer_token(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """With ``PORTAL_PREFETCH_API_KEY`` set, every request, retries included, carries the key."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, status_code=500)
    httpx_mock.add_response(
        method="POST", url=COMPLETIONS, json=_completion("ok"), is_reusable=True
    )
    settings = _settings(prefetch_api_key="sk-test-123")
    assert await llm.complete(client, settings, MESSAGES) == "ok"
    assert await llm.complete(client, settings, MESSAGES) == "ok"
    requests = httpx_mock.get_requests()
    assert len(requests) == 3
    assert {r.headers["authorization"] for r in requests} == {"Bearer sk-test-123"}


async def test_sends_no_authorization_without_a_key(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """Without an API key no Authorization header is sent (local vLLM or Ollama need none)."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, json=_completion("ok"))
    await llm.complete(client, _settings(), MESSAGES)
    (request,) = httpx_mock.get_requests()
    assert "authorization" not in request.headers


async def test_server_errors_are_retried_then_reported(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A failing endpoint is tried ``upstream_attempts`` times, then named in the error."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, status_code=500, is_reusable=True)
    with pytest.raises(UpstreamError) as info:
        await llm.complete(client, _settings(upstream_attempts=3), MESSAGES)
    assert info.value.service == llm.SERVICE
    assert "HTTP 500" in str(info.value)
    assert len(httpx_mock.get_requests()) == 3


async def test_a_server_error_then_an_answer_is_returned(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """One 503 does not fail the completion when the retry answers."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, status_code=503)
    httpx_mock.add_response(method="POST", url=COMPLETIONS, json=_completion("second"))
    assert await llm.complete(client, _settings(), MESSAGES) == "second"
    assert len(httpx_mock.get_requests()) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "model not loaded"}},
        {"choices": []},
        {"choices": [{"text": "legacy completion"}]},
        {"choices": [{"message": {"role": "assistant"}}]},
        [1, 2, 3],
        "just text",
        _completion(None),
        _completion(["a", "list"]),
    ],
    ids=[
        "error-object",
        "no-choices",
        "legacy",
        "no-content",
        "list",
        "string",
        "null-content",
        "list-content",
    ],
)
async def test_a_body_that_is_not_a_chat_completion_is_an_error(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, body: Any
) -> None:
    """An answer in another shape fails with an error naming the LLM service, not a crash."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, json=body)
    with pytest.raises(UpstreamError) as info:
        await llm.complete(client, _settings(), MESSAGES)
    assert info.value.service == llm.SERVICE
    assert len(httpx_mock.get_requests()) == 1


async def test_a_body_that_is_not_json_is_an_error(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient
) -> None:
    """A proxy's HTML page instead of JSON fails with an error naming the LLM service."""
    httpx_mock.add_response(method="POST", url=COMPLETIONS, text="<html>502</html>")
    with pytest.raises(UpstreamError) as info:
        await llm.complete(client, _settings(), MESSAGES)
    assert "chat completion" in str(info.value)
