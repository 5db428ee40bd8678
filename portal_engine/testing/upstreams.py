"""Answering the engine's upstream calls in tests, on pytest-httpx."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from portal_engine.prompting import read_fences
from portal_engine.settings import Settings
from portal_engine.testing.samples import nearby_params

if TYPE_CHECKING:
    from pytest_httpx import HTTPXMock


def chat_completion(content: str, model: str = "test-model") -> dict[str, Any]:
    """An OpenAI-compatible chat-completion body whose answer is ``content``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class Upstreams:
    """Canned answers for the external services named in ``settings``.

    Every helper registers a reusable response, so the engine's retries and repeated runs see
    the same answer. Paths are joined to the service's base URL from the settings.
    """

    def __init__(self, httpx_mock: HTTPXMock, settings: Settings) -> None:
        self.mock = httpx_mock
        self.settings = settings

    def _url(self, base: str, path: str) -> str:
        return base.rstrip("/") + "/" + path.lstrip("/")

    def get(
        self,
        base: str,
        path: str,
        *,
        json_body: Any = None,
        status: int = 200,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Answer ``GET base/path`` (with exactly ``params`` when given)."""
        url: str | httpx.URL = self._url(base, path)
        if params is not None:
            url = httpx.URL(str(url), params=dict(params))
        self.mock.add_response(
            method="GET",
            url=url,
            json=json_body,
            status_code=status,
            is_reusable=True,
            is_optional=True,
        )

    def profile(self, user_id: str, body: Any = None, *, status: int = 200) -> None:
        """Answer the User Profile service's ``GET /v1/users/{user_id}``."""
        self.get(
            self.settings.user_profile_url,
            f"/v1/users/{quote(user_id, safe='')}",
            json_body=body,
            status=status,
        )

    def lie(
        self,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Answer ``GET {LIE}/{path}``."""
        self.get(self.settings.lie_url, path, json_body=body, status=status, params=params)

    def cis(
        self,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Answer ``GET {CIS}/{path}``."""
        self.get(self.settings.cis_url, path, json_body=body, status=status, params=params)

    def customer(self, user_id: str, body: Any = None, *, status: int = 200) -> None:
        """Answer CIS's ``GET /v1/customers/{user_id}``."""
        self.cis(f"/v1/customers/{quote(user_id, safe='')}", body, status=status)

    def locations(
        self, user_id: str, locations: Iterable[Mapping[str, Any]] = (), *, status: int = 200
    ) -> None:
        """Answer LIE's ``GET /v1/users/{user_id}/locations`` with ``locations``."""
        body = {"user_id": user_id, "locations": list(locations)}
        self.lie(f"/v1/users/{quote(user_id, safe='')}/locations", body, status=status)

    def nearby(
        self,
        location: Mapping[str, Any],
        places: Iterable[Mapping[str, Any]],
        *,
        kind: str,
        radius_km: float,
        limit: int = 100,
    ) -> None:
        """Answer LIE's search around ``location`` (``GET /v1/places/nearby``) with ``places``.

        ``kind``, ``radius_km`` and ``limit`` are what the type searches with; a search with
        other values is not answered.
        """
        params = nearby_params(location, kind=kind, radius_km=radius_km, limit=limit)
        self.lie("/v1/places/nearby", {"places": list(places)}, params=params)

    def llm_text(self, content: str, *, status: int = 200) -> None:
        """Make the LLM answer ``content`` (any text: valid JSON or not)."""
        url = self._url(self.settings.prefetch_url, "/v1/chat/completions")
        body = chat_completion(content) if status == 200 else {"error": {"message": "fail"}}
        self.mock.add_response(
            method="POST",
            url=url,
            json=body,
            status_code=status,
            is_reusable=True,
            is_optional=True,
        )

    def llm_picks(self, ids: Iterable[str], reason: str = "A good match for you.") -> None:
        """Make the LLM pick ``ids`` in that order, each with ``reason``."""
        ids = list(ids)
        items = [
            {"id": i, "score": round(1 - n / (len(ids) + 1), 3), "reason": reason}
            for n, i in enumerate(ids)
        ]
        self.llm_text(json.dumps({"items": items}))

    def llm_fences(self, index: int = -1) -> dict[str, Any]:
        """The fenced data blocks of one prompt the engine sent (the last by default)."""
        body = json.loads(self.llm_requests()[index].content)
        return read_fences("\n".join(m["content"] for m in body["messages"]))

    def llm_requests(self) -> Sequence[httpx.Request]:
        """The chat-completion requests the engine sent."""
        url = self._url(self.settings.prefetch_url, "/v1/chat/completions")
        return [r for r in self.mock.get_requests() if str(r.url) == url]
