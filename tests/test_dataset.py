"""Tests for the demo data set: loading, distances, nearby queries and the event date shift."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta
from importlib import resources

import pytest

from portal_engine.demo.dataset import (
    Event,
    Restaurant,
    haversine_km,
    load_dataset,
    nearby,
    new_york_tz,
    shift_events,
)


def _raw_rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("portal_engine.demo") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _restaurant(**changes: object) -> Restaurant:
    values: dict[str, object] = {
        "restaurant_id": "1",
        "name": "TEST PLACE",
        "place_type": "restaurant",
        "cuisine": "Italian",
        "borough": "Manhattan",
        "neighbourhood": "Midtown-Midtown South",
        "nta_code": "MN17",
        "building": "1583",
        "street": "2 AVENUE",
        "zipcode": "10028",
        "lat": 40.75,
        "lon": -73.98,
        "inspection_grade": "A",
        "grade_date": None,
        "inspection_score": 12,
        "last_inspection_date": None,
    }
    values.update(changes)
    return Restaurant(**values)  # type: ignore[arg-type]


def test_row_counts() -> None:
    """The files hold 2000 restaurants, 467 events, 195 neighbourhoods and 500 products."""
    data = load_dataset()
    assert len(data.restaurants) == 2000
    assert len(data.events) == 467
    assert len(data.neighbourhoods) == 195
    assert len(data.products) == 500


def test_load_is_cached_and_fast() -> None:
    """A fresh load takes well under a second and later calls return the same object."""
    load_dataset.cache_clear()
    started = time.perf_counter()
    data = load_dataset()
    assert time.perf_counter() - started < 1.0
    assert load_dataset() is data


def test_haversine_known_distances() -> None:
    """One degree of latitude is about 111.2 km, and the distance is symmetric."""
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(111.195, abs=0.01)
    assert haversine_km(40.7, -74.0, 40.8, -73.9) == pytest.approx(
        haversine_km(40.8, -73.9, 40.7, -74.0)
    )
    assert haversine_km(40.7, -74.0, 40.7, -74.0) == 0.0


def test_nearby_matches_a_full_scan() -> None:
    """nearby() finds exactly the places within the radius, nearest first, and honours limit."""
    data = load_dataset()
    lat, lon = 40.7527, -73.9772
    found = nearby(data.restaurants, lat, lon, 1.5)
    expected = {
        r.restaurant_id for r in data.restaurants if haversine_km(lat, lon, r.lat, r.lon) <= 1.5
    }
    assert {r.restaurant_id for r, _ in found} == expected
    distances = [d for _, d in found]
    assert distances == sorted(distances)
    assert all(d <= 1.5 for d in distances)
    assert nearby(data.restaurants, lat, lon, 1.5, limit=5) == found[:5]


def test_address_is_tidily_cased() -> None:
    """Addresses read "1583 2 Avenue, 10028" and ordinals stay lower case ("3rd")."""
    assert _restaurant().address == "1583 2 Avenue, 10028"
    assert _restaurant(street="WEST 3RD STREET").address == "1583 West 3rd Street, 10028"
    assert _restaurant(building="", zipcode="").address == "2 Avenue"


@pytest.mark.parametrize(("raw", "letter"), [("A", "A"), ("C", "C"), ("N", None), ("Z", None)])
def test_letter_grade_hides_pending_grades(raw: str, letter: str | None) -> None:
    """Only A, B and C count as grades; N, Z and P mean no grade yet."""
    assert _restaurant(inspection_grade=raw).letter_grade == letter


def test_residential_excludes_parks_and_airports() -> None:
    """Codes ending in 99 (parks, cemeteries) and QN98 (airports) are not residential."""
    hoods = load_dataset().neighbourhoods
    assert not hoods["QN98"].residential
    assert not any(h.residential for code, h in hoods.items() if code.endswith("99"))
    assert hoods["MN17"].residential


def test_loaded_events_are_upcoming_and_keep_weekday_and_time() -> None:
    """Loaded events start in the future, on their original weekday and local time of day."""
    raw = {row["event_id"]: row for row in _raw_rows("events_nyc_parks.csv")}
    events = load_dataset().events
    now = datetime.now(new_york_tz())
    assert all(event.start > now for event in events)
    assert min(event.start for event in events).date() <= now.date() + timedelta(days=7)
    for event in events:
        row = raw[event.event_id]
        original = date.fromisoformat(row["start_date"])
        assert (event.start.date() - original).days % 7 == 0
        assert event.start.weekday() == original.weekday()
        assert event.start.strftime("%H:%M") == row["start_time"]
        assert event.end > event.start


def test_shift_events_lands_the_earliest_in_the_coming_week() -> None:
    """shift_events moves by whole weeks so the earliest event is 1 to 7 days after today."""
    tz = new_york_tz()
    event = Event(
        event_id="2022-07-10-x",
        title="X",
        primary_category="Film",
        categories=("Film",),
        venue="V",
        park_name="P",
        borough="Bronx",
        neighbourhood="N",
        nta_code="BX01",
        lat=40.8,
        lon=-73.9,
        start=datetime(2022, 7, 10, 20, 30, tzinfo=tz),
        end=datetime(2022, 7, 10, 22, 0, tzinfo=tz),
        url="https://example.org",
    )
    for today in (date(2026, 12, 3), date(2026, 12, 9), date(2027, 3, 20), date(2022, 7, 10)):
        (shifted,) = shift_events([event], today)
        assert 1 <= (shifted.start.date() - today).days <= 7
        assert shifted.start.weekday() == event.start.weekday()
        assert (shifted.start.hour, shifted.start.minute) == (20, 30)
        assert shifted.end - shifted.start == event.end - event.start


def test_overnight_events_end_the_next_day() -> None:
    """Events whose end time is before their start time end on the following day."""
    raw = {row["event_id"]: row for row in _raw_rows("events_nyc_parks.csv")}
    overnight = [
        e
        for e in load_dataset().events
        if raw[e.event_id]["end_time"] < raw[e.event_id]["start_time"]
    ]
    assert overnight
    assert all(e.end.date() == e.start.date() + timedelta(days=1) for e in overnight)


def test_events_without_categories_get_their_primary_category() -> None:
    """An event listed with no categories has its primary category (General) as its one category."""
    events = load_dataset().events
    assert all(event.categories for event in events)
    general = [e for e in events if e.primary_category == "General"]
    assert general and all("General" in e.categories for e in general)
