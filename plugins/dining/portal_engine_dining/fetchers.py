"""The dining fetchers: the user's profile, the places near their locations, their customer record.

Every call goes through :func:`portal_engine.upstream.get_json`, so a 404 becomes
``UpstreamNotFound`` and the host sees the same errors, and retries the same failures, as for
every other type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import attrs
import httpx
from portal_engine.plugin_api import FetchRequest
from portal_engine.upstream import get_json

from portal_engine_dining.schema import near_text

#: How far from each of the user's locations places are searched, in kilometres.
SEARCH_RADIUS_KM = 2
#: How many places the places service returns per location, at most.
PLACES_PER_LOCATION = 100


def _url(base: str, *segments: str) -> str:
    # httpx leaves "/" and ":" in a path alone, so a user id holding one would name another
    # resource; every segment is encoded whole.
    return base.rstrip("/") + "/" + "/".join(quote(segment, safe="") for segment in segments)


@attrs.define
class ProfileFetcher:
    """Fetches the user's profile: neighbourhoods, liked and disliked cuisines, diet, price level.

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
class CustomerFetcher:
    """Fetches the user's customer record (segment, price level, member since) from CIS.

    Calls ``GET {cis}/v1/customers/{user_id}``; optional, so recommendations are still made
    without it.
    """

    name: str = "customer"
    optional: bool = True

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return the customer record as CIS sends it."""
        url = _url(request.services.cis, "v1", "customers", request.user_id)
        return await get_json(client, url, service="CIS")


@attrs.define
class PlacesFetcher:
    """Fetches the user's locations from LIE, then the dining places near each of them.

    Calls ``GET {lie}/v1/users/{user_id}/locations``, then ``GET {lie}/v1/places/nearby`` once per
    location, concurrently. A place near several locations is kept once, with its distance to the
    nearest and that location in ``near`` (``"home (Astoria)"``).
    """

    name: str = "places"
    optional: bool = False

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return ``{"locations": [...], "places": [...]}``, places nearest first."""
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
        return {"locations": locations, "places": merge_places(zip(locations, nearby, strict=True))}

    async def _nearby(
        self, client: httpx.AsyncClient, lie: str, location: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        params = {
            "lat": location["lat"],
            "lon": location["lon"],
            "kind": "dining",
            "radius_km": SEARCH_RADIUS_KM,
            "limit": PLACES_PER_LOCATION,
        }
        answer = await get_json(
            client, _url(lie, "v1", "places", "nearby"), service="LIE", params=params
        )
        return _list(answer, "places")


def merge_places(
    found: Iterable[tuple[Mapping[str, Any], list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    """Merge the places found near each location, keeping each place once, at its nearest.

    Args:
        found: ``(location, places near it)`` pairs.

    Returns:
        Places with ``id`` as a string, ``distance_km`` set and ``near`` naming the location they
        are nearest to, nearest first (ties by id).
    """
    best: dict[str, dict[str, Any]] = {}
    for location, places in found:
        label = str(location.get("label") or "location")
        near = near_text(label, str(location.get("neighbourhood") or ""))
        for place in places:
            if place.get("id") is None or not place.get("name"):
                continue
            merged = {
                **place,
                "id": str(place["id"]),
                "distance_km": _distance(place),
                "near": near,
            }
            kept = best.get(merged["id"])
            if kept is None or merged["distance_km"] < kept["distance_km"]:
                best[merged["id"]] = merged
    return sorted(best.values(), key=lambda place: (place["distance_km"], place["id"]))


def _distance(place: Mapping[str, Any]) -> float:
    given = place.get("distance_km")
    # The service always sends it; should it not, the place is somewhere inside the radius,
    # and ranking it as far as it can be keeps it from jumping ahead of known-near places.
    return float(given) if isinstance(given, int | float) else float(SEARCH_RADIUS_KM)


def _list(answer: Any, key: str) -> list[dict[str, Any]]:
    # Tolerate a missing or null list: no locations simply means no places.
    value = answer.get(key) if isinstance(answer, Mapping) else None
    return [item for item in value or () if isinstance(item, dict)]
