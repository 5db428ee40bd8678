"""The demo data set: real New York City places and events, and UK giftware products.

A development tool: the stand-in services of ``portal-engine demo`` serve this data. The CSV files
ship inside the package (``portal_engine/demo/data``, see its ``PROVENANCE.md``) and are read
through :mod:`importlib.resources`, so the demo also works from an installed wheel.
:func:`load_dataset` reads them once per process.

The events are from July 2022; :func:`shift_events` moves them by whole weeks so that they lie in
the coming weeks, keeping each event's weekday and local time of day.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from importlib import resources
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

#: Mean Earth radius in kilometres (IUGG), the usual constant for haversine distances.
EARTH_RADIUS_KM = 6371.0088
#: The radius the stand-in location service searches by default.
DEFAULT_RADIUS_KM = 2.0
#: How many places the stand-in location service returns by default.
DEFAULT_NEARBY_LIMIT = 100
#: Hygiene grades that mean something to a diner; N, Z and P (pending) count as no grade.
LETTER_GRADES = frozenset({"A", "B", "C"})


@attrs.frozen
class Neighbourhood:
    """A 2010 Neighborhood Tabulation Area (NTA), with one interior point."""

    nta_code: str
    name: str
    borough: str
    lat: float
    lon: float

    @property
    def residential(self) -> bool:
        """False for parks and cemeteries (codes ending in 99) and the airports (QN98)."""
        return not (self.nta_code.endswith("99") or self.nta_code == "QN98")


@attrs.frozen
class Restaurant:
    """A restaurant, cafe or bakery from the DOHMH inspection results."""

    restaurant_id: str
    name: str
    place_type: str
    cuisine: str
    borough: str
    neighbourhood: str
    nta_code: str
    building: str
    street: str
    zipcode: str
    lat: float
    lon: float
    #: The raw DOHMH grade: A/B/C, N (not yet graded), Z/P (pending) or None.
    inspection_grade: str | None
    grade_date: date | None
    inspection_score: int | None
    last_inspection_date: date | None

    @property
    def letter_grade(self) -> str | None:
        """The hygiene grade when it is A, B or C; otherwise None."""
        return self.inspection_grade if self.inspection_grade in LETTER_GRADES else None

    @property
    def address(self) -> str:
        """The street address as people write it: ``"229 Havemeyer Street, 11211"``."""
        street = " ".join(part for part in (self.building, _tidy_case(self.street)) if part)
        return ", ".join(part for part in (street, self.zipcode) if part)


@attrs.frozen
class Event:
    """A public NYC Parks event; ``start`` and ``end`` are aware New York local times."""

    event_id: str
    title: str
    primary_category: str
    categories: tuple[str, ...]
    venue: str
    park_name: str
    borough: str
    neighbourhood: str
    nta_code: str
    lat: float
    lon: float
    start: datetime
    end: datetime
    url: str


@attrs.frozen
class Product:
    """A giftware product from the UCI Online Retail data set."""

    product_id: str
    title: str
    category: str
    price_gbp: float
    order_lines: int


@attrs.frozen
class DemoUser:
    """A made-up demo user (see :mod:`portal_engine.demo.users`); no real person."""

    user_id: str
    display_name: str
    home: str
    """NTA code of the home neighbourhood."""
    work: str
    """NTA code of the work neighbourhood."""
    cuisine_likes: tuple[str, ...]
    cuisine_dislikes: tuple[str, ...]
    diet: str
    price_level: int
    interests: tuple[str, ...]
    segment: str
    member_since: date


@attrs.frozen
class Dataset:
    """Everything the stand-in services serve, loaded once by :func:`load_dataset`."""

    neighbourhoods: dict[str, Neighbourhood]
    restaurants: tuple[Restaurant, ...]
    events: tuple[Event, ...]
    products: tuple[Product, ...]


class Located(Protocol):
    """Anything with a WGS84 position."""

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


PlaceT = TypeVar("PlaceT", bound=Located)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in kilometres between two WGS84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearby(
    places: Iterable[PlaceT],
    lat: float,
    lon: float,
    radius_km: float = DEFAULT_RADIUS_KM,
    limit: int | None = None,
) -> list[tuple[PlaceT, float]]:
    """The places within ``radius_km`` of a point, nearest first, with their distances.

    A linear scan: the demo data holds a few thousand places at most.

    Args:
        places: restaurants, events, neighbourhoods ...
        lat: latitude of the point.
        lon: longitude of the point.
        radius_km: the search radius in kilometres.
        limit: return at most this many; all when None.

    Returns:
        ``(place, distance_km)`` pairs sorted by distance, ties in input order.
    """
    # No point is closer than its latitude difference along a meridian, so that cheap test
    # skips most places before the trigonometry, and never skips one inside the radius.
    max_dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    found = [
        (place, distance)
        for place in places
        if abs(place.lat - lat) <= max_dlat
        and (distance := haversine_km(lat, lon, place.lat, place.lon)) <= radius_km
    ]
    found.sort(key=lambda pair: pair[1])
    return found if limit is None else found[:limit]


def new_york_tz() -> tzinfo | None:
    """New York's time zone, or None where no time zone database is installed."""
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        return None


def shift_events(events: Iterable[Event], today: date) -> tuple[Event, ...]:
    """Move events forward by whole weeks so that the earliest starts within the next 7 days.

    The earliest event lands between tomorrow and a week from today, so every event starts in the
    future; weekdays and local times of day are kept (the shift is done on the local wall clock).

    Args:
        events: events with their original dates.
        today: the local date to shift towards.
    """
    events = tuple(events)
    if not events:
        return events
    earliest = min(event.start.date() for event in events)
    weeks = math.ceil(((today + timedelta(days=1)) - earliest).days / 7)
    # Python adds a timedelta to an aware datetime on its wall clock (the offset is looked up
    # afresh), so 08:00 on a July Sunday becomes 08:00 on a December Sunday, as promised.
    delta = timedelta(weeks=weeks)
    return tuple(
        attrs.evolve(event, start=event.start + delta, end=event.end + delta) for event in events
    )


@functools.cache
def load_dataset() -> Dataset:
    """Read the bundled CSV files (once per process), with events shifted to the coming weeks."""
    tz = new_york_tz()
    neighbourhoods = {
        row["nta_code"]: Neighbourhood(
            nta_code=row["nta_code"],
            name=row["nta_name"],
            borough=row["borough"],
            lat=float(row["center_lat"]),
            lon=float(row["center_lon"]),
        )
        for row in _rows("nyc_neighbourhoods.csv")
    }
    events = [_event(row, tz) for row in _rows("events_nyc_parks.csv")]
    return Dataset(
        neighbourhoods=neighbourhoods,
        restaurants=tuple(_restaurant(row) for row in _rows("restaurants_nyc.csv")),
        events=shift_events(events, datetime.now(tz).date()),
        products=tuple(
            Product(
                product_id=row["product_id"],
                title=row["title"],
                category=row["category"],
                price_gbp=float(row["price_gbp"]),
                order_lines=int(row["order_lines"]),
            )
            for row in _rows("products_online_retail.csv")
        ),
    )


def _rows(name: str) -> Iterator[dict[str, str]]:
    text = (resources.files("portal_engine.demo") / "data" / name).read_text(encoding="utf-8")
    # newline="" as the csv module asks, so quoted line breaks survive.
    yield from csv.DictReader(io.StringIO(text, newline=""))


def _restaurant(row: dict[str, str]) -> Restaurant:
    return Restaurant(
        restaurant_id=row["restaurant_id"],
        name=row["name"],
        place_type=row["place_type"],
        cuisine=row["cuisine"],
        borough=row["borough"],
        neighbourhood=row["neighbourhood"],
        nta_code=row["nta_code"],
        building=row["building"],
        street=row["street"],
        zipcode=row["zipcode"],
        lat=float(row["latitude"]),
        lon=float(row["longitude"]),
        inspection_grade=row["inspection_grade"] or None,
        grade_date=_date(row["grade_date"]),
        inspection_score=int(row["inspection_score"]) if row["inspection_score"] else None,
        last_inspection_date=_date(row["last_inspection_date"]),
    )


def _event(row: dict[str, str], tz: tzinfo | None) -> Event:
    start = datetime.combine(
        date.fromisoformat(row["start_date"]), time.fromisoformat(row["start_time"])
    )
    end = datetime.combine(date.fromisoformat(row["end_date"]), time.fromisoformat(row["end_time"]))
    # A few events (overnight camping, a late concert) end "before" they start on the same
    # date: the feed means the next morning.
    if end < start:
        end += timedelta(days=1)
    categories = tuple(c for c in row["categories"].split("|") if c) or (row["primary_category"],)
    return Event(
        event_id=row["event_id"],
        title=row["title"],
        primary_category=row["primary_category"],
        categories=categories,
        venue=row["venue"],
        park_name=row["park_name"],
        borough=row["borough"],
        neighbourhood=row["neighbourhood"],
        nta_code=row["nta_code"],
        lat=float(row["latitude"]),
        lon=float(row["longitude"]),
        start=start.replace(tzinfo=tz),
        end=end.replace(tzinfo=tz),
        url=row["url"],
    )


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _tidy_case(text: str) -> str:
    # DOHMH writes streets in capitals; str.title() would give "3Rd Avenue", so only words that
    # start with a letter are capitalised ("3RD AVENUE" -> "3rd Avenue").
    return " ".join(
        word[:1].upper() + word[1:].lower() if word[:1].isalpha() else word.lower()
        for word in text.split()
    )
