"""What a dining item carries in its ``details``."""

from __future__ import annotations

import attrs


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
        near: that location, written as ``"<label> (<neighbourhood>)"``, e.g. ``"home (Astoria)"``
            (see :mod:`portal_engine.near`).
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
