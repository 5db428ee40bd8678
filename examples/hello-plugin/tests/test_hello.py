"""The hello type through the engine's testing kit: the contract, the LLM path, the fallback."""

from __future__ import annotations

from typing import Any

import pytest

from portal_engine import Context
from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings
from portal_engine.testing import Upstreams, assert_type_conforms, run_type

HOME = {"label": "home", "neighbourhood": "Astoria", "lat": 40.76, "lon": -73.92}


def _place(name: str, cuisine: str, neighbourhood: str, distance_km: float) -> dict[str, Any]:
    return {
        "id": name.lower().replace(" ", "-"),
        "name": name,
        "cuisine": cuisine,
        "neighbourhood": neighbourhood,
        "borough": "Queens",
        "distance_km": distance_km,
    }


PLACES = [
    _place("Sushi Corner", "Japanese", "Astoria", 0.2),  # home: never offered
    _place("Taco Stand", "Mexican", "Old Astoria", 0.9),
    _place("Noodle Bar", "Thai", "Old Astoria", 1.1),
    _place("Pizza Spot", "Pizza", "Steinway", 1.4),
]


@pytest.fixture
def portal_plugins() -> Plugins:
    """This plugin alone, loaded strictly, so no other installed plugin can fail these tests."""
    return load_plugins(only=["hello"], strict=True)


@pytest.fixture
def answered(upstreams: Upstreams) -> Upstreams:
    """LIE answers for user u1 as the demo's stand-in service would."""
    upstreams.lie("/v1/users/u1/locations", {"user_id": "u1", "locations": [HOME]})
    upstreams.lie(
        "/v1/places/nearby",
        {"places": PLACES},
        params={"lat": 40.76, "lon": -73.92, "kind": "dining", "radius_km": 3, "limit": 500},
    )
    return upstreams


async def test_hello_keeps_the_contract(portal_plugins: Plugins) -> None:
    """On a sample context the prompt fences its candidates and the ranker keeps the rules."""
    context = Context("u1", "hello", data={"nearby": {"home": "Astoria", "places": PLACES}})
    await assert_type_conforms("hello", plugins=portal_plugins, context=context)


async def test_llm_picks_are_served(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Settings
) -> None:
    """The LLM's picks become the set, in the LLM's order."""
    answered.llm_picks(["steinway", "old-astoria"])
    result = await run_type("hello", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "llm"
    assert [item.id for item in result.items] == ["steinway", "old-astoria"]


async def test_garbage_from_the_llm_gets_the_fallback(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Settings
) -> None:
    """An answer that is not JSON gets the fallback set: most places to eat first, home left out."""
    answered.llm_text("Sure! Here are some lovely neighbourhoods.")
    result = await run_type("hello", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "fallback"
    assert [item.id for item in result.items] == ["old-astoria", "steinway"]
    assert result.items[0].reason.startswith("2 places to eat, 0.9 km from home")


async def test_the_api_lists_the_type(portal_client: Any) -> None:
    """The engine's API, serving this plugin, lists hello with its queue."""
    response = await portal_client.get("/api/v1/recommendations/types")
    types = {entry["name"]: entry for entry in (await response.get_json())["types"]}
    assert types["hello"]["queue"] == "portal.hello"
