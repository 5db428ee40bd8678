"""The Prefetch (LLM) stand-in: an OpenAI-compatible chat-completions endpoint with no model.

A development tool for ``portal-engine demo`` and tests. It speaks the chat-completions wire format
and answers by ranking the fenced candidates of the prompt deterministically
(:mod:`portal_engine.demo.llm_ranking`), so the whole pipeline runs with no model and no network.
In production, point ``PORTAL_PREFETCH_URL`` at a real OpenAI-compatible server (vLLM, Ollama,
OpenAI ...).

Endpoints, under the ``/prefetch`` prefix:

* ``POST /v1/chat/completions`` - the answer's content is ``{"items": [{"id", "score",
  "reason"}]}``; a prompt without the ``request``, ``user`` or ``candidates`` blocks is a 400 with
  an OpenAI-style error body. Any ``Authorization`` header is accepted.
* ``GET /_stats`` - ``{"chat_completions": N}``, the calls received since start or reset.
* ``POST /_stats/reset`` - sets the counter back to zero.
"""

from __future__ import annotations

import json
import time
from typing import Any

import attrs
from quart import Blueprint, ResponseReturnValue, request

from portal_engine.demo.llm_ranking import PromptError, rank_prompt

#: The model name answered when a request names none.
STANDIN_MODEL = "portal-standin-ranker"


@attrs.define
class _Stats:
    chat_completions: int = 0


def create_prefetch_blueprint() -> Blueprint:
    """A fresh Prefetch stand-in blueprint (``/prefetch``) with its own call counter."""
    blueprint = Blueprint("prefetch", __name__, url_prefix="/prefetch")
    stats = _Stats()

    @blueprint.post("/v1/chat/completions")
    async def chat_completions() -> ResponseReturnValue:
        stats.chat_completions += 1
        body = await request.get_json(force=True, silent=True)
        try:
            model, text = _read_request(body)
            ranked = rank_prompt(text)
        except PromptError as exc:
            return _openai_error(str(exc)), 400
        content = json.dumps({"items": [attrs.asdict(item) for item in ranked]}, ensure_ascii=False)
        prompt_tokens = _count_tokens(text)
        completion_tokens = _count_tokens(content)
        return {
            "id": f"chatcmpl-standin-{stats.chat_completions}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    @blueprint.get("/_stats")
    async def get_stats() -> ResponseReturnValue:
        return {"chat_completions": stats.chat_completions}

    @blueprint.post("/_stats/reset")
    async def reset_stats() -> ResponseReturnValue:
        stats.chat_completions = 0
        return {"chat_completions": 0}

    return blueprint


def _read_request(body: Any) -> tuple[str, str]:
    """The model name and the concatenated message texts of a chat-completions request."""
    if not isinstance(body, dict):
        raise PromptError("the request body must be a JSON object with a 'messages' list")
    if body.get("stream"):
        raise PromptError("streaming is not supported by the stand-in; send 'stream': false")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise PromptError("'messages' must be a non-empty list of {role, content} objects")
    texts: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            raise PromptError("every message must be a {role, content} object")
        texts.extend(_texts(message.get("content")))
    model = body.get("model")
    return (model if isinstance(model, str) and model else STANDIN_MODEL), "\n".join(texts)


def _texts(content: Any) -> list[str]:
    # OpenAI allows content as a string or as a list of parts; only text parts carry a prompt.
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
    return []


def _openai_error(message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


def _count_tokens(text: str) -> int:
    # About four characters a token for English text; the stand-in has no tokenizer.
    return max(1, len(text) // 4)
