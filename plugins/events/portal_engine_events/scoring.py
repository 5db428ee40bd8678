"""How good an event is for a user without asking the LLM.

One score serves twice: the prompt builder uses it to pick which events the LLM sees, and the
fallback ranker serves it when the LLM answer is unusable, so both agree on what "good" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
from portal_engine.models import utcnow
from portal_engine.plugin_api import Context
from portal_engine.ranking import closeness, name_key, name_keys

from portal_engine_events.fetchers import SEARCH_RADIUS_KM
from portal_engine_events.when import parse_moment

# Interest weighs more than closeness and soonness together, so an event the user is interested
# in always outranks one they are not; distance and date order events within those two groups.
INTEREST_WEIGHT = 0.55
CLOSENESS_WEIGHT = 0.25
SOONNESS_WEIGHT = 0.2
#: "This week and next": an event starting this far ahead or later earns no soonness at all.
HORIZON = timedelta(days=14)


#: Normalises a category or interest for comparison: ``" fitness "`` equals ``"Fitness"``.
interest_key = name_key


def categories_of(details: Mapping[str, Any]) -> list[str]:
    """An event's categories from its details, the primary one first, each once."""
    found = [str(details.get("category") or "")]
    found += str(details.get("categories") or "").split("|")
    unique: dict[str, str] = {}
    for category in (c.strip() for c in found):
        if category:
            unique.setdefault(interest_key(category), category)
    return list(unique.values())


@attrs.frozen
class Interests:
    """The event categories a user is interested in, normalised by :func:`interest_key`."""

    keys: frozenset[str]

    @classmethod
    def from_context(cls, context: Context) -> Interests:
        """Read the user's interests from the ``profile`` part of ``context``."""
        profile = context.data.get("profile") or {}
        return cls(keys=name_keys(profile.get("interests")))

    def matched(self, details: Mapping[str, Any]) -> str | None:
        """The event's first category the user is interested in, primary first, as the event
        names it; None when there is none."""
        return next((c for c in categories_of(details) if interest_key(c) in self.keys), None)


def as_of(context: Context) -> datetime:
    """When the context's events were fetched; "how soon" is measured from then.

    Falls back to the current time for a context without a readable ``as_of``.
    """
    events = context.data.get("events")
    given = events.get("as_of") if isinstance(events, Mapping) else None
    return parse_moment(given) or utcnow()


def score(details: Mapping[str, Any], interests: Interests, now: datetime) -> float:
    """Score an event (a candidate's details) from 0 to 1 for a user.

    Args:
        details: needs ``category``, ``categories``, ``distance_km`` and ``start``.
        interests: the user's interests.
        now: the moment "how soon" is measured from (see :func:`as_of`).

    Returns:
        The weighted sum of the interest match, closeness within the search radius and how soon
        it starts within :data:`HORIZON` (one already under way counts as starting now),
        rounded to three places.
    """
    interest = 1.0 if interests.matched(details) is not None else 0.0
    close = closeness(details.get("distance_km"), SEARCH_RADIUS_KM)
    start = parse_moment(details.get("start"))
    ahead = (start - now) if start is not None else HORIZON
    soonness = 1.0 - min(max(ahead / HORIZON, 0.0), 1.0)
    total = INTEREST_WEIGHT * interest + CLOSENESS_WEIGHT * close + SOONNESS_WEIGHT * soonness
    return round(total, 3)
