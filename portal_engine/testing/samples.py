"""Sample answers of the User Profile, LIE and CIS services, for tests of a type's parts.

Shaped as the real services (and the demo's stand-ins) send them, so a test starts from a
realistic answer and overrides only the fields it is about::

    from portal_engine.testing import samples

    upstreams.profile("u1", samples.profile(interests=["Film"]))
    upstreams.locations("u1", [samples.HOME, samples.WORK])
    upstreams.nearby(samples.HOME, [samples.place("p1", cuisine="Thai")], kind="dining",
                     radius_km=2)

Every factory returns a new dict. The constants are shared: copy one before changing it
(``{**samples.HOME, "lat": None}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal_engine.plugin_api import FetchRequest, ServiceURLs
from portal_engine.testing.runner import TEST_SETTINGS

#: The services' base URLs in :data:`~portal_engine.testing.TEST_SETTINGS`, as fetchers get them.
SERVICES = ServiceURLs(
    user_profile=TEST_SETTINGS.user_profile_url,
    lie=TEST_SETTINGS.lie_url,
    cis=TEST_SETTINGS.cis_url,
)

#: A user id holding URL syntax, to check that fetchers encode it whole ...
ODD_USER_ID = "team/a:b c"
#: ... and how it must appear in a path.
ODD_USER_ID_PATH = "team%2Fa%3Ab%20c"

#: The user's home as LIE lists it among their locations: Astoria, Queens.
HOME: dict[str, Any] = {
    "label": "home",
    "nta_code": "QN70",
    "neighbourhood": "Astoria",
    "borough": "Queens",
    "lat": 40.76,
    "lon": -73.92,
}
#: The user's workplace as LIE lists it: Midtown, Manhattan.
WORK: dict[str, Any] = {
    "label": "work",
    "nta_code": "MN17",
    "neighbourhood": "Midtown-Midtown South",
    "borough": "Manhattan",
    "lat": 40.75,
    "lon": -73.98,
}


def fetch_request(user_id: str, type_name: str) -> FetchRequest:
    """The request a fetcher of ``type_name`` gets for ``user_id``, naming :data:`SERVICES`."""
    return FetchRequest(user_id=user_id, type=type_name, services=SERVICES)


def profile(**overrides: Any) -> dict[str, Any]:
    """A profile as the User Profile service sends it, with ``overrides`` applied.

    User ``u1`` lives in Astoria and works in Midtown, likes Japanese and Thai food but not
    Chinese, and is interested in fitness and concerts.
    """
    return {
        "user_id": "u1",
        "display_name": "Ana",
        "home": {"nta_code": "QN70", "neighbourhood": "Astoria", "borough": "Queens"},
        "work": {
            "nta_code": "MN17",
            "neighbourhood": "Midtown-Midtown South",
            "borough": "Manhattan",
        },
        "cuisine_likes": ["Japanese", "Thai"],
        "cuisine_dislikes": ["Chinese"],
        "diet": "pescatarian",
        "price_level": 2,
        "interests": ["Fitness", "Concerts"],
        **overrides,
    }


def customer(**overrides: Any) -> dict[str, Any]:
    """A customer record as CIS sends it, with ``overrides``: ``u1``, of segment ``standard``."""
    return {
        "customer_id": "u1",
        "segment": "standard",
        "price_level": 2,
        "member_since": "2021-02-24",
        **overrides,
    }


def place(place_id: str, **overrides: Any) -> dict[str, Any]:
    """A place to eat as LIE's ``/v1/places/nearby?kind=dining`` sends it, with ``overrides``.

    An American restaurant in Astoria without a hygiene grade, 1 km from where LIE searched.
    """
    return {
        "id": place_id,
        "name": f"Place {place_id}",
        "place_type": "restaurant",
        "cuisine": "American",
        "borough": "Queens",
        "neighbourhood": "Astoria",
        "address": "1 Main St",
        "lat": 40.77,
        "lon": -73.92,
        "inspection_grade": None,
        "distance_km": 1.0,
        **overrides,
    }


def event(event_id: str, **overrides: Any) -> dict[str, Any]:
    """An event as LIE's ``/v1/places/nearby?kind=events`` sends it, with ``overrides``.

    A film in Astoria Park, 0.8 km from where LIE searched, on Saturday 12 December 2026 from
    10:00 to 12:00 New York time.
    """
    return {
        "id": event_id,
        "name": f"Event {event_id}",
        "primary_category": "Film",
        "categories": ["Film"],
        "venue": "Great Lawn (in Astoria Park)",
        "borough": "Queens",
        "neighbourhood": "Astoria",
        "lat": 40.78,
        "lon": -73.92,
        "start": "2026-12-12T10:00:00-05:00",
        "end": "2026-12-12T12:00:00-05:00",
        "url": f"https://www.nycgovparks.org/events/{event_id}",
        "distance_km": 0.8,
        **overrides,
    }


def nearby_params(
    location: Mapping[str, Any], *, kind: str, radius_km: float, limit: int = 100
) -> dict[str, Any]:
    """The query of LIE's ``/v1/places/nearby`` search around ``location``.

    The parameters :func:`portal_engine.services.nearby` sends, for matching its requests.
    """
    return {
        "lat": location["lat"],
        "lon": location["lon"],
        "kind": kind,
        "radius_km": radius_km,
        "limit": limit,
    }
