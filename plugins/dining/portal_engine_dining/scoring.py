"""How good a place is for a user without asking the LLM.

One score serves twice: the prompt builder uses it to pick which places the LLM sees, and the
fallback ranker serves it when the LLM answer is unusable, so both agree on what "good" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from portal_engine.plugin_api import Context
from portal_engine.ranking import closeness, name_key, name_keys

from portal_engine_dining.fetchers import SEARCH_RADIUS_KM

# Cuisine weighs most: a place serving what the user likes beats a slightly nearer one that
# does not. Hygiene only separates otherwise close calls.
CUISINE_WEIGHT = 0.5
DISTANCE_WEIGHT = 0.35
GRADE_WEIGHT = 0.15

# No grade yet (new or pending places) counts as a B: neither a reward nor a penalty.
_GRADES = {"A": 1.0, "B": 0.5, "C": 0.0}
_NEUTRAL_GRADE = 0.5


#: Normalises a cuisine name for comparison: ``" japanese "`` and ``"Japanese"`` are one.
cuisine_key = name_key


@attrs.frozen
class Taste:
    """The cuisines a user likes and dislikes, normalised by :func:`cuisine_key`."""

    likes: frozenset[str]
    dislikes: frozenset[str]

    @classmethod
    def from_context(cls, context: Context) -> Taste:
        """Read the user's cuisines from the ``profile`` part of ``context``."""
        profile = context.data.get("profile") or {}
        return cls(
            likes=name_keys(profile.get("cuisine_likes")),
            dislikes=name_keys(profile.get("cuisine_dislikes")),
        )

    def likes_cuisine(self, cuisine: object) -> bool:
        """True when the user likes ``cuisine``."""
        return cuisine_key(cuisine) in self.likes

    def dislikes_cuisine(self, cuisine: object) -> bool:
        """True when the user dislikes ``cuisine``; such places are never recommended."""
        return cuisine_key(cuisine) in self.dislikes


def score(place: Mapping[str, Any], taste: Taste) -> float:
    """Score a place (or a candidate's details) from 0 to 1 for a user.

    Args:
        place: needs ``cuisine``, ``distance_km`` and ``inspection_grade``.
        taste: the user's cuisines.

    Returns:
        The weighted sum of the liked-cuisine match, closeness within the search radius and the
        hygiene grade, rounded to three places.
    """
    cuisine = 1.0 if taste.likes_cuisine(place.get("cuisine")) else 0.0
    close = closeness(place.get("distance_km"), SEARCH_RADIUS_KM)
    grade = _GRADES.get(str(place.get("inspection_grade") or "").upper(), _NEUTRAL_GRADE)
    total = CUISINE_WEIGHT * cuisine + DISTANCE_WEIGHT * close + GRADE_WEIGHT * grade
    return round(total, 3)
