"""Ranking events candidates without the LLM, with reasons a user can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from portal_engine.models import Candidate, Item, Scalar
from portal_engine.near import how_far
from portal_engine.plugin_api import Context
from portal_engine.ranking import rank_by

from portal_engine_events.scoring import Interests, as_of, score
from portal_engine_events.when import clock_text, day_text, parse_moment


@attrs.frozen
class EventsFallbackRanker:
    """Ranks events by interest match, closeness and how soon they start; deterministic."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Return at most ``limit`` items, best first.

        Args:
            context: the fetched context; the interests come from its ``profile``, and "how
                soon" is measured from its ``events.as_of``.
            candidates: the events the prompt builder offered.
            limit: how many items to return at most.

        Returns:
            Items scored from 0 to 1 by :func:`~portal_engine_events.scoring.score`; equal scores
            are ordered by id so the same context always gives the same set.
        """
        interests = Interests.from_context(context)
        now = as_of(context)
        return rank_by(
            candidates,
            score=lambda candidate: score(candidate.details, interests, now),
            reason=lambda candidate: reason(candidate.details, interests),
            limit=limit,
        )


def reason(details: Mapping[str, Scalar], interests: Interests) -> str:
    """One sentence saying why an event is recommended.

    For example ``"Fitness, which you enjoy, on Saturday 12 Dec at 10:00, 0.8 km from your home
    in Astoria."``
    """
    start = parse_moment(details.get("start"))
    when = f" on {day_text(start)} at {clock_text(start)}" if start is not None else ""
    matched = interests.matched(details)
    if matched is not None:
        head = f"{matched}, which you enjoy" + (f",{when}" if when else "")
    else:
        head = (str(details.get("category") or "").strip() or "An event") + when
    return f"{head}, {how_far(details)}."
