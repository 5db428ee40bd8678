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
* ``GET /_control`` and ``POST /_control`` - fault injection, a development and test control
  (never part of a real LLM server): ``{"delay": seconds, "fail_next": n, "fail_status": code}``
  makes every completion wait ``delay`` seconds before answering (0 to stop; lowering it also
  releases the calls already waiting) and the next ``n`` completions answer HTTP
  ``fail_status`` (500 unless given) with an OpenAI-style error body. Keys left out keep their
  value. Both answer the current control with ``in_flight``, the completions being answered
  right now (waiting out a delay included), and ``chat_completions``, the count ``_stats``
  gives (injected failures count as calls too).
"""

from __future__ import annotations

import asyncio
import json
import math
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


@attrs.define
class _Control:
    """Faults to inject into the completions (``/_control``); all off by default."""

    delay: float = 0.0
    fail_next: int = 0
    fail_status: int = 500
    in_flight: int = 0


def create_prefetch_blueprint() -> Blueprint:
    """A fresh Prefetch stand-in blueprint (``/prefetch``) with its own call counter."""
    blueprint = Blueprint("prefetch", __name__, url_prefix="/prefetch")
    stats = _Stats()
    control = _Control()

    @blueprint.post("/v1/chat/completions")
    async def chat_completions() -> ResponseReturnValue:
        stats.chat_completions += 1
        control.in_flight += 1
        try:
            # Re-read the delay while waiting, so lowering it releases calls already waiting.
            started = time.monotonic()
            while (left := control.delay - (time.monotonic() - started)) > 0:
                await asyncio.sleep(min(left, 0.05))
            if control.fail_next > 0:
                control.fail_next -= 1
                error = _openai_error("injected failure (POST /prefetch/_control fail_next)")
                error["error"]["type"] = "server_error"
                return error, control.fail_status
            return await _answer()
        finally:
            control.in_flight -= 1

    async def _answer() -> ResponseReturnValue:
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

    def _control_json() -> dict[str, Any]:
        return {**attrs.asdict(control), "chat_completions": stats.chat_completions}

    @blueprint.get("/_control")
    async def get_control() -> ResponseReturnValue:
        return _control_json()

    @blueprint.post("/_control")
    async def set_control() -> ResponseReturnValue:
        # A development and test control: inject delays and failures into the completions.
        body = await request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not set(body) <= {"delay", "fail_next", "fail_status"}:
            return {"error": 'send a JSON object with "delay", "fail_next" or "fail_status"'}, 400
        try:
            delay = float(body.get("delay", control.delay))
            fail_next = int(body.get("fail_next", control.fail_next))
            fail_status = int(body.get("fail_status", control.fail_status))
        except (TypeError, ValueError):
            return {"error": "delay must be a number, fail_next and fail_status integers"}, 400
        if not (math.isfinite(delay) and 0 <= delay <= 3600):
            return {"error": "delay must be from 0 to 3600 seconds"}, 400
        if fail_next < 0 or not 400 <= fail_status <= 599:
            return {"error": "fail_next must be 0 or more, fail_status from 400 to 599"}, 400
        control.delay, control.fail_next, control.fail_status = delay, fail_next, fail_status
        return _control_json()

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
