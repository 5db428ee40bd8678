"""What a dining item carries in its ``details``, and how the ``near`` field is written."""

from __future__ import annotations

import re

import attrs

# "work (Midtown-Midtown South)": the location's label, then its neighbourhood in brackets.
_NEAR = re.compile(r"^(?P<label>[^()]+?) \((?P<neighbourhood>.*)\)$")


@attrs.frozen
class DiningDetails:
    """The ``details`` of every dining candidate and item.

    Args:
        cuisine: the place's cuisine as the places service names it (``"Japanese"``).
        place_type: restaurant, cafe, bakery ...
        neighbourhood: the neighbourhood the place is in.
        borough: the borough the place is in.
        address: street address.
        distance_km: distance from the user's location it is nearest to.
        near: that location, written as ``"<label> (<neighbourhood>)"``, e.g. ``"home (Astoria)"``.
        inspection_grade: the latest hygiene grade (``"A"``, ``"B"``, ``"C"``), or ``None`` when
            the place has none yet.
    """

    cuisine: str
    place_type: str
    neighbourhood: str
    borough: str
    address: str
    distance_km: float
    near: str
    inspection_grade: str | None = None


def near_text(label: str, neighbourhood: str) -> str:
    """Write a user location for the ``near`` field, e.g. ``"work (Midtown-Midtown South)"``."""
    return f"{label} ({neighbourhood})" if neighbourhood else label


def split_near(near: str) -> tuple[str, str]:
    """Read a ``near`` field back into ``(label, neighbourhood)``; the inverse of :func:`near_text`.

    A value not written by :func:`near_text` comes back whole as the label.
    """
    match = _NEAR.match(near)
    if match is None:
        return near, ""
    return match["label"], match["neighbourhood"]
