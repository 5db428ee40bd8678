"""Ranking events candidates without the LLM, with reasons a user can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from portal_engine.models import Candidate, Item, Scalar
from portal_engine.plugin_api import Context

from portal_engine_events.schema import split_near
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
        scored = [(score(c.details, interests, now), c) for c in candidates]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        return [
            Item(
                id=candidate.id,
                title=candidate.title,
                score=value,
                reason=reason(candidate.details, interests),
                details=dict(candidate.details),
            )
            for value, candidate in scored[: max(limit, 0)]
        ]


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
    return f"{head}, {_how_far(details)}."


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
