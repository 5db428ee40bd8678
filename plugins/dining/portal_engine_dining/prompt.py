"""The dining prompt: which places the LLM may pick from, and how it should rank them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from portal_engine.models import Candidate
from portal_engine.plugin_api import Context, Prompt
from portal_engine.prompting import standard_messages

from portal_engine_dining.schema import DiningDetails
from portal_engine_dining.scoring import Taste, score

#: At most this many places go into a prompt (more when a set holds more items), so the prompt
#: stays small; the best are chosen by :func:`portal_engine_dining.scoring.score`.
MAX_PROMPT_CANDIDATES = 40

INSTRUCTIONS = """\
You recommend places to eat near the user's home or work.
Rank higher, in this order of weight:
1. places whose cuisine is one of the user's cuisine_likes;
2. places closer to the user: distance_km is measured from the location named in "near";
3. better hygiene: inspection_grade A before B before C; a missing grade is neither good nor bad;
4. places that suit the user's diet and price level.
Never recommend a place whose cuisine is one of the user's cuisine_dislikes.
Each reason is one friendly sentence addressed to the user that names the cuisine and how far
the place is from their home or work or which neighbourhood it is in, for example:
"Great Japanese food just 0.4 km from your home in Astoria, with a top hygiene grade."\
"""

_CUSTOMER_FIELDS = ("segment", "price_level", "member_since")


@attrs.frozen
class DiningPromptBuilder:
    """Builds the dining prompt from the ``profile``, ``places`` and ``customer`` context."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Pick the candidates and write the messages; every outside value goes into a fence.

        Args:
            context: the fetched context of the user.
            limit: how many items the set should hold.

        Returns:
            The prompt, offering at most ``max(MAX_PROMPT_CANDIDATES, limit)`` places, none of a
            cuisine the user dislikes.
        """
        candidates = select_candidates(context, max(MAX_PROMPT_CANDIDATES, limit))
        customer = context.data.get("customer")
        extra = {"customer": _customer_block(customer)} if isinstance(customer, Mapping) else None
        messages = standard_messages(
            INSTRUCTIONS,
            user=_user_block(context.data.get("profile") or {}),
            candidates=candidates,
            limit=limit,
            extra=extra,
        )
        return Prompt(messages=messages, candidates=candidates)


def select_candidates(context: Context, count: int) -> list[Candidate]:
    """The ``count`` best places of the context as candidates, skipping disliked cuisines.

    Best means highest :func:`~portal_engine_dining.scoring.score`, then nearest, then by id, so
    the same context always gives the same candidates.
    """
    taste = Taste.from_context(context)
    places = (context.data.get("places") or {}).get("places") or []
    allowed = [place for place in places if not taste.dislikes_cuisine(place.get("cuisine"))]
    allowed.sort(key=lambda place: (-score(place, taste), place["distance_km"], place["id"]))
    return [to_candidate(place) for place in allowed[:count]]


def to_candidate(place: Mapping[str, Any]) -> Candidate:
    """Turn a place as :class:`~portal_engine_dining.fetchers.PlacesFetcher` returns it into a
    candidate whose details fit :class:`~portal_engine_dining.schema.DiningDetails`."""
    grade = str(place.get("inspection_grade") or "").strip().upper()
    details = DiningDetails(
        cuisine=_text(place.get("cuisine")),
        place_type=_text(place.get("place_type")),
        neighbourhood=_text(place.get("neighbourhood")),
        borough=_text(place.get("borough")),
        address=_text(place.get("address")),
        distance_km=float(place["distance_km"]),
        near=_text(place.get("near")),
        inspection_grade=grade or None,
    )
    return Candidate(id=str(place["id"]), title=str(place["name"]), details=attrs.asdict(details))


def _user_block(profile: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cuisine_likes": profile.get("cuisine_likes") or [],
        "cuisine_dislikes": profile.get("cuisine_dislikes") or [],
        "diet": profile.get("diet"),
        "price_level": profile.get("price_level"),
        "home": _neighbourhood(profile.get("home")),
        "work": _neighbourhood(profile.get("work")),
    }


def _customer_block(customer: Mapping[str, Any]) -> dict[str, Any]:
    # Only what helps ranking; the customer id tells the model nothing.
    return {field: customer.get(field) for field in _CUSTOMER_FIELDS}


def _neighbourhood(location: object) -> str | None:
    return location.get("neighbourhood") if isinstance(location, Mapping) else None


def _text(value: object) -> str:
    return "" if value is None else str(value)
