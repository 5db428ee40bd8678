"""The events fetcher of upcoming events near the user's locations.

The user's profile comes from the core's :class:`~portal_engine.services.ProfileFetcher`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
import httpx
from portal_engine.models import utcnow
from portal_engine.plugin_api import FetchRequest
from portal_engine.services import merge_nearby, nearby

from portal_engine_events.when import parse_moment

#: How far from each of the user's locations events are searched, in kilometres. Events are
#: rarer than restaurants, so the search reaches further than dining's 2 km.
SEARCH_RADIUS_KM = 3
#: How many events the location service returns per location, at most.
EVENTS_PER_LOCATION = 100


@attrs.define
class EventsFetcher:
    """Fetches the user's locations from LIE, then the events near each of them.

    Calls ``GET {lie}/v1/users/{user_id}/locations``, then ``GET {lie}/v1/places/nearby`` with
    ``kind=events`` once per location, concurrently (see :func:`portal_engine.services.nearby`).
    An event near several locations is kept once, with its distance to the nearest and that
    location in ``near`` (``"home (Astoria)"``); events that have already ended are dropped.

    Args:
        clock: the current time; tests pass a fixed one.
    """

    name: str = "events"
    optional: bool = False
    clock: Callable[[], datetime] = attrs.field(default=utcnow)

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return ``{"as_of", "locations", "events"}``: events nearest first, ``as_of`` in ISO.

        ``as_of`` is when the events were judged upcoming; the builder and the ranker measure
        "how soon" from it, so both see the same clock however long the refresh takes.
        """
        as_of = self.clock()
        found = await nearby(
            client,
            request.services,
            request.user_id,
            kind="events",
            radius_km=SEARCH_RADIUS_KM,
            limit=EVENTS_PER_LOCATION,
            keep=lambda event: _upcoming(event, as_of),
        )
        return {"as_of": as_of.isoformat(), "locations": found.locations, "events": found.places}


def merge_events(
    found: Iterable[tuple[Mapping[str, Any], Iterable[Mapping[str, Any]]]], as_of: datetime
) -> list[dict[str, Any]]:
    """Merge the events found near each location, keeping each once, at its nearest location.

    Args:
        found: ``(location, events near it)`` pairs.
        as_of: now; events that ended by then are dropped.

    Returns:
        Upcoming events with ``id`` as a string, ``distance_km`` set and ``near`` naming the
        location they are nearest to, nearest first (ties by id); see
        :func:`portal_engine.services.merge_nearby`. Events without an id, a name or a readable
        start are dropped: they cannot be offered or placed in time.
    """
    return merge_nearby(
        found, radius_km=SEARCH_RADIUS_KM, keep=lambda event: _upcoming(event, as_of)
    )


def _upcoming(event: Mapping[str, Any], as_of: datetime) -> bool:
    start = parse_moment(event.get("start"))
    if start is None:
        return False
    # An event without an end is taken to be over once it has started.
    end = parse_moment(event.get("end")) or start
    return end > as_of
