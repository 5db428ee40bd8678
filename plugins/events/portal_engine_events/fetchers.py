"""The events fetchers: the user's profile, and the upcoming events near their locations.

Every call goes through :func:`portal_engine.upstream.get_json`, so a 404 becomes
``UpstreamNotFound`` and the host sees the same errors, and retries the same failures, as for
every other type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import attrs
import httpx
from portal_engine.models import utcnow
from portal_engine.plugin_api import FetchRequest
from portal_engine.upstream import get_json

from portal_engine_events.schema import near_text
from portal_engine_events.when import parse_moment

#: How far from each of the user's locations events are searched, in kilometres. Events are
#: rarer than restaurants, so the search reaches further than dining's 2 km.
SEARCH_RADIUS_KM = 3
#: How many events the location service returns per location, at most.
EVENTS_PER_LOCATION = 100


def _url(base: str, *segments: str) -> str:
    # httpx leaves "/" and ":" in a path alone, so a user id holding one would name another
    # resource; every segment is encoded whole.
    return base.rstrip("/") + "/" + "/".join(quote(segment, safe="") for segment in segments)


@attrs.define
class ProfileFetcher:
    """Fetches the user's profile: home and work neighbourhoods, and interests.

    Calls ``GET {user_profile}/v1/users/{user_id}``; required, so an unknown user fails the
    refresh with ``UpstreamNotFound``.
    """

    name: str = "profile"
    optional: bool = False

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return the profile as the user profile service sends it."""
        url = _url(request.services.user_profile, "v1", "users", request.user_id)
        return await get_json(client, url, service="user profile")


@attrs.define
class EventsFetcher:
    """Fetches the user's locations from LIE, then the events near each of them.

    Calls ``GET {lie}/v1/users/{user_id}/locations``, then ``GET {lie}/v1/places/nearby`` with
    ``kind=events`` once per location, concurrently. An event near several locations is kept
    once, with its distance to the nearest and that location in ``near`` (``"home (Astoria)"``);
    events that have already ended are dropped.

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
        url = _url(request.services.lie, "v1", "users", request.user_id, "locations")
        answer = await get_json(client, url, service="LIE")
        locations = [
            location
            for location in _list(answer, "locations")
            if location.get("lat") is not None and location.get("lon") is not None
        ]
        nearby = await asyncio.gather(
            *(self._nearby(client, request.services.lie, location) for location in locations)
        )
        return {
            "as_of": as_of.isoformat(),
            "locations": locations,
            "events": merge_events(zip(locations, nearby, strict=True), as_of),
        }

    async def _nearby(
        self, client: httpx.AsyncClient, lie: str, location: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        params = {
            "lat": location["lat"],
            "lon": location["lon"],
            "kind": "events",
            "radius_km": SEARCH_RADIUS_KM,
            "limit": EVENTS_PER_LOCATION,
        }
        answer = await get_json(
            client, _url(lie, "v1", "places", "nearby"), service="LIE", params=params
        )
        return _list(answer, "places")


def merge_events(
    found: Iterable[tuple[Mapping[str, Any], list[dict[str, Any]]]], as_of: datetime
) -> list[dict[str, Any]]:
    """Merge the events found near each location, keeping each once, at its nearest location.

    Args:
        found: ``(location, events near it)`` pairs.
        as_of: now; events that ended by then are dropped.

    Returns:
        Upcoming events with ``id`` as a string, ``distance_km`` set and ``near`` naming the
        location they are nearest to, nearest first (ties by id). Events without an id, a name
        or a readable start are dropped: they cannot be offered or placed in time.
    """
    best: dict[str, dict[str, Any]] = {}
    for location, events in found:
        label = str(location.get("label") or "location")
        near = near_text(label, str(location.get("neighbourhood") or ""))
        for event in events:
            if event.get("id") is None or not event.get("name") or not _upcoming(event, as_of):
                continue
            merged = {
                **event,
                "id": str(event["id"]),
                "distance_km": _distance(event),
                "near": near,
            }
            kept = best.get(merged["id"])
            if kept is None or merged["distance_km"] < kept["distance_km"]:
                best[merged["id"]] = merged
    return sorted(best.values(), key=lambda event: (event["distance_km"], event["id"]))


def _upcoming(event: Mapping[str, Any], as_of: datetime) -> bool:
    start = parse_moment(event.get("start"))
    if start is None:
        return False
    # An event without an end is taken to be over once it has started.
    end = parse_moment(event.get("end")) or start
    return end > as_of


def _distance(event: Mapping[str, Any]) -> float:
    given = event.get("distance_km")
    # The service always sends it; should it not, the event is somewhere inside the radius,
    # and ranking it as far as it can be keeps it from jumping ahead of known-near events.
    return float(given) if isinstance(given, int | float) else float(SEARCH_RADIUS_KM)


def _list(answer: Any, key: str) -> list[dict[str, Any]]:
    # Tolerate a missing or null list: no locations simply means no events.
    value = answer.get(key) if isinstance(answer, Mapping) else None
    return [item for item in value or () if isinstance(item, dict)]
