"""The ``near`` field of things found near a user: which of the user's locations they are near.

:func:`portal_engine.services.nearby` writes it with :func:`near_text`, as the location's label
and then its neighbourhood in brackets: ``"home (Astoria)"``, ``"work (Midtown-Midtown South)"``.
:func:`split_near` reads it back, and :func:`how_far` says it, with the distance, in the words of
a reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# "work (Midtown-Midtown South)": the location's label, then its neighbourhood in brackets.
_NEAR = re.compile(r"^(?P<label>[^()]+?) \((?P<neighbourhood>.*)\)$")


def near_text(label: str, neighbourhood: str) -> str:
    """Write a user location for the ``near`` field, e.g. ``"work (Midtown-Midtown South)"``.

    Args:
        label: what the location is to the user (``"home"``, ``"work"``).
        neighbourhood: where it is; without one the field is the label alone.
    """
    return f"{label} ({neighbourhood})" if neighbourhood else label


def split_near(near: str) -> tuple[str, str]:
    """Read a ``near`` field back into ``(label, neighbourhood)``; the inverse of :func:`near_text`.

    A value not written by :func:`near_text` comes back whole as the label.
    """
    match = _NEAR.match(near)
    if match is None:
        return near, ""
    return match["label"], match["neighbourhood"]


def how_far(details: Mapping[str, object]) -> str:
    """How far a thing is from the user, in the words of a reason.

    Args:
        details: a candidate's details; ``distance_km`` and ``near`` are read, either may be
            missing.

    Returns:
        For example ``"0.4 km from your home in Astoria"``, ``"under 0.1 km from your work"``,
        ``"1.2 km away"``, ``"near your home in Astoria"`` or ``"nearby"``.
    """
    label, neighbourhood = split_near(str(details.get("near") or ""))
    where = ""
    if label:
        where = f"your {label} in {neighbourhood}" if neighbourhood else f"your {label}"
    distance = details.get("distance_km")
    if not isinstance(distance, int | float):
        return f"near {where}" if where else "nearby"
    # "0.0 km" reads like a mistake; anything that close is simply very near.
    far = "under 0.1 km" if distance < 0.05 else f"{distance:.1f} km"
    return f"{far} from {where}" if where else f"{far} away"
