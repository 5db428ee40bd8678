"""The events prompt: which events the LLM may pick from, and how it should rank them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from portal_engine.models import Candidate
from portal_engine.plugin_api import Context, Prompt
from portal_engine.prompting import standard_messages
from portal_engine.ranking import top

from portal_engine_events.schema import EventDetails
from portal_engine_events.scoring import Interests, as_of, score
from portal_engine_events.when import clock_text, day_text, parse_moment

#: At most this many events go into a prompt (more when a set holds more than this), so the
#: prompt stays small; the best are chosen by :func:`portal_engine_events.scoring.score`.
MAX_PROMPT_CANDIDATES = 40

INSTRUCTIONS = """\
You recommend public events in parks near the user's home or work, in the coming two weeks.
Rank higher, in this order of weight:
1. events whose category or one of whose categories is one of the user's interests;
2. events that start sooner: "start" and "day" give the date and local time;
3. events closer to the user: distance_km is measured from the location named in "near".
Each reason is one friendly sentence addressed to the user that names the interest it matches
(or the event's category), the day and time, and how far it is from their home or work,
for example: "Fitness, which you enjoy, on Saturday 12 Dec at 10:00, 0.8 km from your home in
Astoria."\
"""


@attrs.frozen
class EventsPromptBuilder:
    """Builds the events prompt from the ``profile`` and ``events`` context."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Pick the candidates and write the messages; every outside value goes into a fence.

        Args:
            context: the fetched context of the user.
            limit: how many items the set should hold.

        Returns:
            The prompt, offering at most ``max(MAX_PROMPT_CANDIDATES, limit)`` upcoming events.
        """
        candidates = select_candidates(context, max(MAX_PROMPT_CANDIDATES, limit))
        messages = standard_messages(
            INSTRUCTIONS,
            user=_user_block(context.data.get("profile") or {}),
            candidates=candidates,
            limit=limit,
        )
        return Prompt(messages=messages, candidates=candidates)


def select_candidates(context: Context, count: int) -> list[Candidate]:
    """The ``count`` best events of the context as candidates.

    Best means highest :func:`~portal_engine_events.scoring.score`, then by id, so the same
    context always gives the same candidates. Events whose start cannot be read are skipped.
    """
    interests = Interests.from_context(context)
    now = as_of(context)
    events = (context.data.get("events") or {}).get("events") or []
    candidates = [c for c in map(to_candidate, events) if c is not None]
    return top(candidates, count, score=lambda c: score(c.details, interests, now))


def to_candidate(event: Mapping[str, Any]) -> Candidate | None:
    """Turn an event as :class:`~portal_engine_events.fetchers.EventsFetcher` returns it into a
    candidate whose details fit :class:`~portal_engine_events.schema.EventDetails`; None when its
    start cannot be read."""
    start = parse_moment(event.get("start"))
    if start is None:
        return None
    categories = event.get("categories")
    if not isinstance(categories, list | tuple):
        categories = [categories] if categories else []
    details = EventDetails(
        category=_text(event.get("primary_category")),
        categories="|".join(_text(c) for c in categories if c),
        venue=_text(event.get("venue")),
        neighbourhood=_text(event.get("neighbourhood")),
        borough=_text(event.get("borough")),
        start=start.isoformat(),
        day=f"{day_text(start)}, {clock_text(start)}",
        distance_km=float(event["distance_km"]),
        near=_text(event.get("near")),
        url=_text(event.get("url")),
    )
    return Candidate(id=str(event["id"]), title=str(event["name"]), details=attrs.asdict(details))


def _user_block(profile: Mapping[str, Any]) -> dict[str, Any]:
    # Interests and neighbourhood names are all the ranking needs; name and id stay out.
    return {
        "interests": profile.get("interests") or [],
        "home": _neighbourhood(profile.get("home")),
        "work": _neighbourhood(profile.get("work")),
    }


def _neighbourhood(location: object) -> str | None:
    return location.get("neighbourhood") if isinstance(location, Mapping) else None


def _text(value: object) -> str:
    return "" if value is None else str(value)
