"""What an events item carries in its ``details``."""

from __future__ import annotations

import attrs


@attrs.frozen
class EventDetails:
    """The ``details`` of every events candidate and item; flat scalars only.

    Args:
        category: the event's primary category as the feed names it (``"Fitness"``).
        categories: all of its categories, ``|``-joined (``"Fitness|Outdoor Fitness"``).
        venue: where in the park it takes place.
        neighbourhood: the neighbourhood the venue is in.
        borough: the borough the venue is in.
        start: when it starts, ISO 8601 with the venue's UTC offset.
        day: the start as people read it, e.g. ``"Saturday 12 Dec, 10:00"`` (venue's local time).
        distance_km: distance from the user's location it is nearest to.
        near: that location, written as ``"<label> (<neighbourhood>)"``, e.g. ``"home (Astoria)"``
            (see :mod:`portal_engine.near`).
        url: the event's page.
    """

    category: str
    categories: str
    venue: str
    neighbourhood: str
    borough: str
    start: str
    day: str
    distance_km: float
    near: str
    url: str
