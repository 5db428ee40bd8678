"""Clients for the services every type may call: User Profile, LIE (locations) and CIS (customers).

A type's fetchers use these instead of writing URLs of their own, so every type calls the core
services the same way:

* each path segment is percent-encoded whole (:func:`service_url`), so a user id holding ``/``
  or ``:`` can never name another resource;
* every call goes through :func:`portal_engine.upstream.get_json`, so a 404 becomes
  ``UpstreamNotFound`` and the host sees the same errors, and retries the same failures, for
  every type.

:class:`ProfileFetcher` and :class:`CustomerFetcher` put the user's profile and customer record
into a context as the services send them. :func:`nearby` is what a fetcher of things near the
user (places to eat, events ...) is built on: it searches around each of the user's locations
and merges what it finds, each thing once, at the location it is nearest to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from portal_engine.near import near_text
from portal_engine.plugin_api import FetchRequest, ServiceURLs
from portal_engine.upstream import get_json

#: Decides whether a thing found near the user may be kept (an event that is over may not).
Keep = Callable[[Mapping[str, Any]], bool]


def service_url(base: str, *segments: str) -> str:
    """Join ``segments`` to a service's base URL, each percent-encoded whole.

    For example ``service_url("http://lie", "v1", "users", "a/b")`` is
    ``"http://lie/v1/users/a%2Fb"``.
    """
    # httpx leaves "/" and ":" in a path alone, so a user id holding one would name another
    # resource; every segment is encoded whole. "." and ".." are dot-segments that httpx
    # resolves away (the id ".." would climb to a sibling endpoint), so their dots are escaped.
    return base.rstrip("/") + "/" + "/".join(_segment(segment) for segment in segments)


def _segment(segment: str) -> str:
    encoded = quote(segment, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def json_list(answer: Any, key: str) -> list[dict[str, Any]]:
    """The objects listed under ``key`` in a JSON answer.

    A missing or null list reads as empty (no locations simply means nothing near them), and
    entries that are not objects are dropped.
    """
    value = answer.get(key) if isinstance(answer, Mapping) else None
    return [item for item in value or () if isinstance(item, dict)]


async def get_profile(client: httpx.AsyncClient, services: ServiceURLs, user_id: str) -> Any:
    """``GET {user_profile}/v1/users/{user_id}``: the user's profile as the service sends it.

    Raises:
        UpstreamNotFound: the service does not know the user.
    """
    url = service_url(services.user_profile, "v1", "users", user_id)
    return await get_json(client, url, service="user profile")


async def get_customer(client: httpx.AsyncClient, services: ServiceURLs, user_id: str) -> Any:
    """``GET {cis}/v1/customers/{user_id}``: the user's customer record (segment, price level,
    member since) as CIS sends it.

    Raises:
        UpstreamNotFound: CIS does not know the user.
    """
    url = service_url(services.cis, "v1", "customers", user_id)
    return await get_json(client, url, service="CIS")


async def get_locations(
    client: httpx.AsyncClient, services: ServiceURLs, user_id: str
) -> list[dict[str, Any]]:
    """``GET {lie}/v1/users/{user_id}/locations``: the user's locations (home, work ...).

    Each location is an object with ``label``, ``neighbourhood``, ``lat`` and ``lon`` among its
    fields; an answer without a list reads as no locations.

    Raises:
        UpstreamNotFound: LIE does not know the user.
    """
    url = service_url(services.lie, "v1", "users", user_id, "locations")
    return json_list(await get_json(client, url, service="LIE"), "locations")


@attrs.frozen
class Nearby:
    """What :func:`nearby` found.

    Args:
        locations: the user's locations that were searched around (those with coordinates).
        places: what was found near them, each once, nearest first (see :func:`merge_nearby`).
    """

    locations: list[dict[str, Any]]
    places: list[dict[str, Any]]


async def nearby(
    client: httpx.AsyncClient,
    services: ServiceURLs,
    user_id: str,
    *,
    kind: str,
    radius_km: float,
    limit: int,
    keep: Keep | None = None,
) -> Nearby:
    """Find the things of one ``kind`` near each of the user's locations.

    Calls ``GET {lie}/v1/users/{user_id}/locations``, then, once per location with coordinates
    and all at once, ``GET {lie}/v1/places/nearby?lat=&lon=&kind=&radius_km=&limit=``.

    Args:
        client: the host-owned client.
        services: the services' base URLs.
        user_id: whose locations to search around.
        kind: what to search for, as LIE names it (``"dining"``, ``"events"``).
        radius_km: how far from each location to search.
        limit: how many things LIE returns per location, at most.
        keep: when given, only things it accepts are kept (for example events not yet over).

    Returns:
        The locations searched around and what was found, merged by :func:`merge_nearby`.

    Raises:
        UpstreamNotFound: LIE does not know the user.
    """
    locations = [
        location
        for location in await get_locations(client, services, user_id)
        if location.get("lat") is not None and location.get("lon") is not None
    ]
    url = service_url(services.lie, "v1", "places", "nearby")

    async def search(location: Mapping[str, Any]) -> list[dict[str, Any]]:
        params = {
            "lat": location["lat"],
            "lon": location["lon"],
            "kind": kind,
            "radius_km": radius_km,
            "limit": limit,
        }
        return json_list(await get_json(client, url, service="LIE", params=params), "places")

    found = await asyncio.gather(*(search(location) for location in locations))
    places = merge_nearby(zip(locations, found, strict=True), radius_km=radius_km, keep=keep)
    return Nearby(locations=locations, places=places)


def merge_nearby(
    found: Iterable[tuple[Mapping[str, Any], Iterable[Mapping[str, Any]]]],
    *,
    radius_km: float,
    keep: Keep | None = None,
) -> list[dict[str, Any]]:
    """Merge the things found near each location, keeping each once, at its nearest location.

    Args:
        found: ``(location, things found near it)`` pairs.
        radius_km: the search radius; a thing LIE sent without a distance counts as this far.
        keep: when given, only things it accepts are kept.

    Returns:
        Copies of the things with ``id`` as a string, ``distance_km`` set and ``near`` naming the
        location they are nearest to (see :func:`portal_engine.near.near_text`), nearest first,
        ties by id. Things without an id or a name are dropped: they cannot be offered.
    """
    best: dict[str, dict[str, Any]] = {}
    for location, things in found:
        label = str(location.get("label") or "location")
        near = near_text(label, str(location.get("neighbourhood") or ""))
        for thing in things:
            if thing.get("id") is None or not thing.get("name"):
                continue
            if keep is not None and not keep(thing):
                continue
            merged = {
                **thing,
                "id": str(thing["id"]),
                "distance_km": _distance(thing, radius_km),
                "near": near,
            }
            kept = best.get(merged["id"])
            if kept is None or merged["distance_km"] < kept["distance_km"]:
                best[merged["id"]] = merged
    return sorted(best.values(), key=lambda thing: (thing["distance_km"], thing["id"]))


def _distance(thing: Mapping[str, Any], radius_km: float) -> float:
    given = thing.get("distance_km")
    # LIE always sends it; should it not, the thing is somewhere inside the radius, and ranking
    # it as far as it can be keeps it from jumping ahead of things known to be near.
    return float(given) if isinstance(given, int | float) else float(radius_km)


@attrs.frozen
class ProfileFetcher:
    """Fetches the user's profile from the User Profile service (see :func:`get_profile`).

    Required by default, so an unknown user fails the refresh with ``UpstreamNotFound``; a type
    that can do without the profile makes it ``optional``.

    Args:
        name: the profile's key in the context.
        optional: True when the refresh may go on without the profile.
    """

    name: str = "profile"
    optional: bool = False

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return the profile as the User Profile service sends it."""
        return await get_profile(client, request.services, request.user_id)


@attrs.frozen
class CustomerFetcher:
    """Fetches the user's customer record from CIS (see :func:`get_customer`).

    Optional by default: the customer record refines recommendations rather than making them,
    so a type still makes its set when CIS fails.

    Args:
        name: the record's key in the context.
        optional: True when the refresh may go on without the record.
    """

    name: str = "customer"
    optional: bool = True

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return the customer record as CIS sends it."""
        return await get_customer(client, request.services, request.user_id)
