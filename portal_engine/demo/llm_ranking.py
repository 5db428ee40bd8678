"""How the LLM stand-in ranks: a deterministic, generic reading of a fenced prompt.

A development tool (see :mod:`portal_engine.demo.llm_standin`). It reads only the fenced data
blocks of a prompt (:func:`portal_engine.prompting.read_fences`), never the prose, so instructions
hidden in the data cannot steer it, and it only ever names ids from the ``candidates`` block.

The ranking knows no type. From the ``user`` block it collects liked words (string values under any
key containing ``like``, or ``interests``) and disliked words (keys containing ``dislike``); a
candidate scores up for each ``details`` value (or ``|``-separated part of one) that is a liked
word, down hard for a disliked one, up for closeness (``distance_km``) and a little for a grade A.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from portal_engine.prompting import read_fences

# Weights: a liked match always beats a neutral candidate, a disliked one always loses to it,
# and closeness and grade only order candidates within those bands.
_BASE = 0.35
_LIKED = 0.3
_LIKED_EXTRA = 0.05
_DISLIKED = -0.3
_CLOSENESS = 0.15
_GRADE_A = 0.05
_DEAL = 0.2
_NEAR = re.compile(r"^\s*([^()]+?)\s*\((.+)\)\s*$")


class PromptError(ValueError):
    """The prompt cannot be ranked; the message says what is missing or malformed."""


@attrs.frozen
class Ranked:
    """One answer item: a candidate id, its score in 0..1 and a reason a user reads."""

    id: str
    score: float
    reason: str


@attrs.frozen
class _Candidate:
    id: str
    title: str
    details: dict[str, Any]


@attrs.frozen
class _Match:
    key: str
    value: str


def rank_prompt(text: str) -> list[Ranked]:
    """Rank the candidates fenced in ``text`` for the user fenced beside them.

    Args:
        text: the concatenated message contents; needs ``request`` (``{"limit": N}``), ``user``
            and ``candidates`` data blocks.

    Returns:
        At most ``limit`` items, best first, each candidate id at most once.

    Raises:
        PromptError: a block is missing or malformed, or there is no usable candidate.
    """
    try:
        fences = read_fences(text)
    except json.JSONDecodeError as exc:
        raise PromptError(f"a data block does not hold valid JSON: {exc}") from exc
    missing = [name for name in ("request", "user", "candidates") if name not in fences]
    if missing:
        blocks = ", ".join(f'<data name="{name}">' for name in missing)
        raise PromptError(
            f"the prompt lacks the data block(s) {blocks}; "
            "write them with portal_engine.prompting.fence"
        )
    limit = _limit(fences["request"])
    candidates = _candidates(fences["candidates"])
    likes, dislikes = set[str](), set[str]()
    _collect_tastes(fences["user"], "", likes, dislikes)
    scored = [(_score(c, likes, dislikes), n, c) for n, c in enumerate(candidates)]
    scored.sort(key=lambda entry: (-entry[0][0], entry[1]))
    return [
        Ranked(id=c.id, score=round(score, 3), reason=reason)
        for (score, reason), _, c in _varied(scored)[:limit]
    ]


_Scored = tuple[tuple[float, str], int, _Candidate]


def _varied(scored: list[_Scored]) -> list[_Scored]:
    """Best first, but a title or venue already picked waits until the others had their turn.

    A list of four branches of one chain, or seven events at one venue, helps nobody.
    """
    first: list[_Scored] = []
    later: list[_Scored] = []
    seen: set[tuple[str, str]] = set()
    for entry in scored:
        candidate = entry[2]
        marks = {("title", candidate.title.strip().lower())}
        venue = candidate.details.get("venue")
        if isinstance(venue, str) and venue.strip():
            marks.add(("venue", venue.strip().lower()))
        (later if marks & seen else first).append(entry)
        seen |= marks
    return first + later


def _limit(request: Any) -> int:
    limit = request.get("limit") if isinstance(request, dict) else None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise PromptError('the request block must be {"limit": N} with N a positive integer')
    return limit


def _candidates(value: Any) -> list[_Candidate]:
    if not isinstance(value, list):
        raise PromptError("the candidates block must be a list of {id, title, details} objects")
    found: dict[str, _Candidate] = {}
    for entry in value:
        # Entries without a string id cannot be answered with, so they are skipped, not guessed.
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        title = entry.get("title")
        details = entry.get("details")
        found.setdefault(
            entry["id"],
            _Candidate(
                id=entry["id"],
                title=title if isinstance(title, str) else "",
                details=details if isinstance(details, dict) else {},
            ),
        )
    if not found:
        raise PromptError("the candidates block holds no candidate with a string id")
    return list(found.values())


def _collect_tastes(value: Any, key: str, likes: set[str], dislikes: set[str]) -> None:
    if isinstance(value, dict):
        for child_key, child in value.items():
            _collect_tastes(child, str(child_key).lower(), likes, dislikes)
    elif isinstance(value, list):
        for child in value:
            _collect_tastes(child, key, likes, dislikes)
    elif isinstance(value, str) and value.strip():
        # "dislike" contains "like", so it is tested first.
        if "dislike" in key:
            dislikes.add(value.strip().lower())
        elif "like" in key or key == "interests":
            likes.add(value.strip().lower())


def _score(candidate: _Candidate, likes: set[str], dislikes: set[str]) -> tuple[float, str]:
    liked: list[_Match] = []
    disliked: list[_Match] = []
    for key, value in candidate.details.items():
        if not isinstance(value, str):
            continue
        for part in (p.strip() for p in value.split("|")):
            if part.lower() in dislikes:
                disliked.append(_Match(key, part))
            elif part.lower() in likes:
                liked.append(_Match(key, part))
    liked, disliked = _unique(liked), _unique(disliked)
    distance = _distance(candidate.details)
    grade_a = any(
        "grade" in key.lower() and isinstance(value, str) and value.strip().upper() == "A"
        for key, value in candidate.details.items()
    )
    discount = _number(candidate.details, "discount")
    score = _BASE
    if discount is not None:
        score += _DEAL * min(discount, 50) / 50
    if liked:
        score += _LIKED + _LIKED_EXTRA * min(len(liked) - 1, 2)
    if disliked:
        score += _DISLIKED
    if distance is not None:
        score += _CLOSENESS / (1 + distance)
    if grade_a:
        score += _GRADE_A
    reason = _reason(candidate, liked, disliked, distance, grade_a, discount)
    return min(max(score, 0.0), 1.0), reason


def _unique(matches: Iterable[_Match]) -> list[_Match]:
    # "Fitness" may be both the primary category and one of the categories: name it once.
    seen: dict[str, _Match] = {}
    for match in matches:
        seen.setdefault(match.value.lower(), match)
    return list(seen.values())


def _number(details: dict[str, Any], word: str) -> float | None:
    """The first non-negative number among details whose key contains ``word``."""
    for key, value in details.items():
        if word in key.lower() and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) if value >= 0 else None
    return None


def _kind(details: dict[str, Any]) -> str:
    """What the candidate is, from a detail such as cuisine or category ("Coffee/Tea")."""
    for word in ("cuisine", "category"):
        for key, value in details.items():
            if word in key.lower() and isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _distance(details: dict[str, Any]) -> float | None:
    value = details.get("distance_km")
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _reason(
    candidate: _Candidate,
    liked: Sequence[_Match],
    disliked: Sequence[_Match],
    distance: float | None,
    grade_a: bool,
    discount: float | None,
) -> str:
    """One sentence from what matched, e.g. "Italian, a cuisine you like, 0.6 km from your home"."""
    if liked:
        head = _taste_phrase(liked, "you like")
    elif disliked:
        head = _taste_phrase(disliked, "you said you dislike")
    else:
        head = _kind(candidate.details) or candidate.title.strip() or "This option"
    parts = [head]
    if discount:
        parts.append(f"{discount:g}% off")
        price = _number(candidate.details, "after_discount")
        if price is not None:
            pounds = any(k.endswith("_gbp") and "after_discount" in k for k in candidate.details)
            parts.append(f"now {'£' if pounds else ''}{price:.2f}")
    where = _where(candidate.details.get("near"), distance)
    if where:
        parts.append(where)
    if grade_a:
        parts.append("graded A")
    if len(parts) == 1 and not (liked or disliked):
        return f"{head} is one of the options found for you."
    sentence = ", ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."


def _taste_phrase(matches: Sequence[_Match], verb: str) -> str:
    values = [m.value for m in matches]
    if len(values) == 1:
        # The key's last word names the kind of thing: "primary_category" -> "category".
        words = matches[0].key.replace("_", " ").lower().split()
        noun = _singular(words[-1]) if words else "choice"
        return f"{values[0]}, {'an' if noun[:1] in 'aeiou' else 'a'} {noun} {verb}"
    return f"{', '.join(values[:-1])} and {values[-1]}, which {verb}"


def _singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun[:-1]
    return noun


def _where(near: Any, distance: float | None) -> str:
    place = ""
    if isinstance(near, str) and near.strip():
        match = _NEAR.match(near)
        place = f"your {match[1]} in {match[2]}" if match else near.strip()
    if distance is None:
        return f"near {place}" if place else ""
    amount = "under 100 m" if distance < 0.1 else f"{distance:.1f} km"
    return f"{amount} from {place}" if place else f"{amount} away"
