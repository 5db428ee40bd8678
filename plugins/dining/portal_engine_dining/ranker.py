"""Ranking dining candidates without the LLM, with reasons a user can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from portal_engine.models import Candidate, Item, Scalar
from portal_engine.plugin_api import Context

from portal_engine_dining.schema import split_near
from portal_engine_dining.scoring import Taste, score


@attrs.frozen
class DiningFallbackRanker:
    """Ranks places by liked cuisine, closeness and hygiene grade; deterministic."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Return at most ``limit`` items, best first, none of a cuisine the user dislikes.

        Args:
            context: the fetched context; the user's cuisines come from its ``profile``.
            candidates: the places the prompt builder offered.
            limit: how many items to return at most.

        Returns:
            Items scored from 0 to 1 by :func:`~portal_engine_dining.scoring.score`; equal scores
            are ordered by id so the same context always gives the same set.
        """
        taste = Taste.from_context(context)
        scored = [
            (score(candidate.details, taste), candidate)
            for candidate in candidates
            if not taste.dislikes_cuisine(candidate.details.get("cuisine"))
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        return [
            Item(
                id=candidate.id,
                title=candidate.title,
                score=value,
                reason=reason(candidate.details, taste),
                details=dict(candidate.details),
            )
            for value, candidate in scored[: max(limit, 0)]
        ]


def reason(details: Mapping[str, Scalar], taste: Taste) -> str:
    """One sentence saying why a place is recommended.

    For example ``"Japanese, which you like, 0.4 km from your home in Astoria; hygiene grade A."``
    """
    what = str(details.get("cuisine") or details.get("place_type") or "A place to eat")
    if taste.likes_cuisine(details.get("cuisine")):
        what += ", which you like"
    text = f"{what}, {_how_far(details)}"
    grade = details.get("inspection_grade")
    if grade:
        text += f"; hygiene grade {grade}"
    return text + "."


def _how_far(details: Mapping[str, Scalar]) -> str:
    label, neighbourhood = split_near(str(details.get("near") or ""))
    where = ""
    if label:
        where = f"your {label} in {neighbourhood}" if neighbourhood else f"your {label}"
    distance = details.get("distance_km")
    if not isinstance(distance, int | float):
        return f"near {where}" if where else "nearby"
    # "0.0 km" reads like a mistake; anything that close is simply very near.
    far = "under 0.1 km" if distance < 0.05 else f"{distance:.1f} km"
    return f"{far} from {where}" if where else f"{far} away"
