"""Tests for portal_engine_events.when."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from portal_engine_events.when import clock_text, day_text, parse_moment


def test_times_are_written_on_the_event_wall_clock() -> None:
    """A New York morning is written as that morning, whatever the machine's time zone."""
    moment = parse_moment("2026-12-12T10:00:00-05:00")
    assert moment is not None
    assert (day_text(moment), clock_text(moment)) == ("Saturday 12 Dec", "10:00")


def test_a_time_without_offset_is_local_and_aware() -> None:
    """An offset-less time is read as local time, so it compares with aware ones."""
    moment = parse_moment("2026-12-12T10:00:00")
    assert moment is not None and moment.tzinfo is not None
    assert moment.replace(tzinfo=None) == datetime(2026, 12, 12, 10, 0)


def test_unreadable_times_are_none() -> None:
    """Missing, blank, non-string and malformed times all read as None."""
    assert [parse_moment(v) for v in (None, "", "  ", 1_700_000_000, "Saturday")] == [None] * 5
    zulu = parse_moment("2026-12-12T15:00:00Z")
    assert zulu is not None and zulu.utcoffset() == timedelta(0)
    assert zulu == datetime(2026, 12, 12, 10, tzinfo=timezone(timedelta(hours=-5)))
