"""Reading event times and writing them as people read them."""

from __future__ import annotations

from datetime import datetime

# Names spelled out here rather than by strftime("%A"), which follows the process locale: a
# worker started under de_DE would otherwise write "Samstag" into English sentences.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_moment(value: object) -> datetime | None:
    """Read an ISO 8601 time into an aware datetime; None when it is missing or unreadable.

    A time without a UTC offset is taken as the machine's local time, as the location service
    does when it has no time zone database.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()


def day_text(moment: datetime) -> str:
    """The date on the event's own wall clock, e.g. ``"Saturday 12 Dec"``."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"


def clock_text(moment: datetime) -> str:
    """The time of day on the event's own wall clock, 24-hour, e.g. ``"10:00"``."""
    return f"{moment:%H:%M}"
