"""Ranking dining candidates without the LLM, with reasons a user can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from portal_engine.models import Candidate, Item, Scalar
from portal_engine.near import how_far
from portal_engine.plugin_api import Context
from portal_engine.ranking import rank_by

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
        allowed = [c for c in candidates if not taste.dislikes_cuisine(c.details.get("cuisine"))]
        return rank_by(
            allowed,
            score=lambda candidate: score(candidate.details, taste),
            reason=lambda candidate: reason(candidate.details, taste),
            limit=limit,
        )


def reason(details: Mapping[str, Scalar], taste: Taste) -> str:
    """One sentence saying why a place is recommended.

    For example ``"Japanese, which you like, 0.4 km from your home in Astoria; hygiene grade A."``
    """
    what = str(details.get("cuisine") or details.get("place_type") or "A place to eat")
    if taste.likes_cuisine(details.get("cuisine")):
        what += ", which you like"
    text = f"{what}, {how_far(details)}"
    grade = details.get("inspection_grade")
    if grade:
        text += f"; hygiene grade {grade}"
    return text + "."
