"""Reading the LLM's answer: lenient where real models are sloppy, strict where it matters.

Lenient: code fences and prose around the JSON, a bare list instead of ``{"items": [...]}``,
scores given as strings or out of range, an id repeated. Strict: the answer must be JSON, each
item must name a candidate by its exact id and carry a reason. Anything else raises
:class:`InvalidAnswer`, and the pipeline repairs once, then falls back.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from portal_engine.errors import InvalidAnswer
from portal_engine.models import Candidate, Item

MAX_REASON = 300
_CODE_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_payload(text: str) -> Any:
    match = _CODE_FENCE.search(text)
    body = match.group(1) if match else text
    body = body.strip()
    try:
        return json.loads(body)
    except ValueError:
        pass
    # prose around the JSON: take the outermost object or list
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = body.find(opener), body.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(body[start : end + 1])
            except ValueError:
                continue
    raise InvalidAnswer("the answer is not JSON")


def _score(value: Any, rank: int, count: int) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        score = math.nan
    if not math.isfinite(score):
        return 1.0 - rank / max(count, 1)  # no usable score: keep the model's order
    if score > 1.0 and score <= 100.0:
        score /= 100.0  # some models answer in percent
    return min(max(score, 0.0), 1.0)


def parse_answer(text: str, candidates: Sequence[Candidate], limit: int) -> list[Item]:
    """Turn the LLM's text into at most ``limit`` items, each one of ``candidates``.

    Titles and details always come from the candidate, never from the model.

    Raises:
        InvalidAnswer: the text is not JSON, holds no items, names an id that is not a
            candidate, or an item lacks a reason.
    """
    payload = _json_payload(text)
    raw_items = (
        payload.get("items", payload.get("recommendations"))
        if isinstance(payload, dict)
        else payload
    )
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidAnswer('the answer has no "items" list')
    by_id = {candidate.id: candidate for candidate in candidates}
    items: list[Item] = []
    seen: set[str] = set()
    for rank, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise InvalidAnswer(f"item {rank} is not an object")
        item_id = str(raw.get("id", ""))
        candidate = by_id.get(item_id)
        if candidate is None:
            raise InvalidAnswer(f"item {rank} names {item_id!r}, which is not a candidate")
        if item_id in seen:
            continue
        reason = str(raw.get("reason") or "").strip()
        if not reason:
            raise InvalidAnswer(f"item {item_id!r} has no reason")
        seen.add(item_id)
        items.append(
            Item(
                id=item_id,
                title=candidate.title,
                score=_score(raw.get("score"), rank, len(raw_items)),
                reason=reason[:MAX_REASON],
                details=dict(candidate.details),
            )
        )
    return items[:limit]
