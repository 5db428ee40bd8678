"""Portal Engine type ``hello``: neighbourhoods worth exploring near the user's home.

The smallest complete type, written as a tutorial (see README.md). It has the three parts every
type has: a fetcher that calls an external service, a prompt builder that turns what was fetched
into candidates and a prompt, and a fallback ranker for when the LLM's answer is unusable.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from portal_engine import (
    Candidate,
    Context,
    FetchRequest,
    Item,
    Prompt,
    RecommendationType,
    hookimpl,
)
from portal_engine.prompting import standard_messages
from portal_engine.registry import TypeRegistry
from portal_engine.upstream import get_json

#: The plugin-API version this module is written for; the engine refuses a plugin without it.
PORTAL_PLUGIN_API = 1

#: How far from home to look for places to eat, in kilometres.
RADIUS_KM = 3


@attrs.frozen
class NearbyPlacesFetcher:
    """Asks the location service (LIE) where the user lives, then for places to eat near it."""

    name: str = "nearby"  # the key of this fetcher's answer in Context.data
    optional: bool = False  # without it there is nothing to recommend

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> dict[str, Any]:
        """Return ``{"home": <neighbourhood name>, "places": [<place>, ...]}``."""
        lie = request.services.lie.rstrip("/")
        user = quote(request.user_id, safe="")  # a user id is data: never let it change the path
        answer = await get_json(client, f"{lie}/v1/users/{user}/locations", service="LIE")
        home = next((loc for loc in answer["locations"] if loc["label"] == "home"), None)
        if home is None:
            return {"home": None, "places": []}
        params = {"lat": home["lat"], "lon": home["lon"], "radius_km": RADIUS_KM}
        params.update(kind="dining", limit=500)  # places to eat; 500 is the most LIE sends
        nearby = await get_json(client, f"{lie}/v1/places/nearby", service="LIE", params=params)
        return {"home": home["neighbourhood"], "places": nearby["places"]}


INSTRUCTIONS = """\
You suggest neighbourhoods near the user's home that are worth exploring.
Prefer neighbourhoods with more places to eat (places_to_eat), and nearer ones (distance_km).
Each reason is one friendly sentence for the user that says what there is to try, e.g.
"Only 0.8 km from home, with 23 places to eat: try its Italian and Japanese spots."\
"""


def neighbourhoods(context: Context) -> list[Candidate]:
    """One candidate per neighbourhood with places to eat, leaving out the user's own."""
    nearby = context.data["nearby"]
    found: dict[str, list[dict[str, Any]]] = {}
    for place in nearby["places"]:
        if place.get("neighbourhood") and place["neighbourhood"] != nearby["home"]:
            found.setdefault(place["neighbourhood"], []).append(place)
    return [
        Candidate(
            id=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            title=name,
            details={
                "borough": places[0].get("borough"),
                "places_to_eat": len(places),
                "distance_km": min(place["distance_km"] for place in places),
                "cuisines": ", ".join(_top_cuisines(places)),
            },
        )
        for name, places in sorted(found.items())
    ]


def _top_cuisines(places: list[dict[str, Any]]) -> list[str]:
    counts = Counter(place["cuisine"] for place in places if place.get("cuisine"))
    return [cuisine for cuisine, _ in counts.most_common(3)]


@attrs.frozen
class ExplorePromptBuilder:
    """Offers the nearby neighbourhoods as candidates; every fetched value goes in fenced."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Return the prompt: the engine's rules, our instructions, then the data."""
        candidates = neighbourhoods(context)
        messages = standard_messages(
            INSTRUCTIONS,
            user={"home": context.data["nearby"]["home"]},
            candidates=candidates,
            limit=limit,
        )
        return Prompt(messages=messages, candidates=candidates)


@attrs.frozen
class MostPlacesFirst:
    """Ranks without the LLM: the neighbourhoods with the most places to eat first."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Return at most ``limit`` items, scored against the busiest neighbourhood."""

        def count(candidate: Candidate) -> int:
            return int(candidate.details["places_to_eat"] or 0)

        ranked = sorted(candidates, key=lambda c: (-count(c), c.id))[:limit]
        most = max((count(c) for c in ranked), default=0) or 1
        return [
            Item(
                id=c.id,
                title=c.title,
                score=round(count(c) / most, 3),
                reason=f"{count(c)} places to eat, {c.details['distance_km']} km from home: "
                f"try its {c.details['cuisines'] or 'local'} spots.",
                details=dict(c.details),
            )
            for c in ranked
        ]


#: The type, as the engine serves it at ``/api/v1/recommendations/hello``.
HELLO = RecommendationType(
    name="hello",
    description="Neighbourhoods near your home worth exploring, for the places to eat there.",
    fetchers=[NearbyPlacesFetcher()],
    prompt_builder=ExplorePromptBuilder(),
    fallback_ranker=MostPlacesFirst(),
    limit=5,
)


@hookimpl
def register_types(registry: TypeRegistry) -> None:
    """Called once when the engine loads its plugins: add the ``hello`` type."""
    registry.add(HELLO)
