"""The dining type through the core's testing kit: conformance and whole pipeline runs."""

from __future__ import annotations

from typing import Any

import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.registry import Plugins
from portal_engine.testing import Upstreams, assert_type_conforms, run_type

PROFILE = {
    "user_id": "u1",
    "display_name": "Demo User 1",
    "home": {"nta_code": "QN70", "neighbourhood": "Astoria", "borough": "Queens"},
    "work": {"nta_code": "MN17", "neighbourhood": "Midtown-Midtown South", "borough": "Manhattan"},
    "cuisine_likes": ["Japanese", "Thai"],
    "cuisine_dislikes": ["Chinese"],
    "diet": "none",
    "price_level": 2,
    "interests": ["Concerts"],
}
HOME = {
    "label": "home",
    "nta_code": "QN70",
    "neighbourhood": "Astoria",
    "borough": "Queens",
    "lat": 40.76,
    "lon": -73.92,
}


def _place(pid: str, cuisine: str, distance: float, grade: str | None = "A") -> dict[str, Any]:
    return {
        "id": pid,
        "name": f"Place {pid}",
        "place_type": "restaurant",
        "cuisine": cuisine,
        "borough": "Queens",
        "neighbourhood": "Astoria",
        "address": "1 Main St",
        "lat": 40.76,
        "lon": -73.92,
        "inspection_grade": grade,
        "distance_km": distance,
    }


PLACES = [
    _place("p1", "Japanese", 0.3),
    _place("p2", "Chinese", 0.1),
    _place("p3", "Thai", 0.9, "B"),
    _place("p4", "American", 1.5, None),
]


@pytest.fixture
def answered(upstreams: Upstreams) -> Upstreams:
    """Profile, LIE and CIS answer for user u1 as the real services would."""
    upstreams.profile("u1", PROFILE)
    upstreams.lie("/v1/users/u1/locations", {"user_id": "u1", "locations": [HOME]})
    upstreams.lie(
        "/v1/places/nearby",
        {"places": PLACES},
        params={"lat": 40.76, "lon": -73.92, "kind": "dining", "radius_km": 2, "limit": 100},
    )
    upstreams.cis(
        "/v1/customers/u1",
        {
            "customer_id": "u1",
            "segment": "standard",
            "price_level": 2,
            "member_since": "2024-01-01",
        },
    )
    return upstreams


async def test_dining_declaration_conforms(portal_plugins: Plugins) -> None:
    """The installed dining type keeps the plugin contract."""
    await assert_type_conforms("dining", plugins=portal_plugins)


async def test_llm_picks_are_served_with_candidate_details(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """The LLM's picks become the set, titles and details taken from the fetched places."""
    answered.llm_picks(["p3", "p1"], reason="Thai, which you like, close to home.")
    result = await run_type("dining", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "llm"
    assert [i.id for i in result.items] == ["p3", "p1"]
    assert result.items[1].title == "Place p1" and result.items[1].details["cuisine"] == "Japanese"


async def test_disliked_cuisine_is_never_served_even_if_the_llm_names_it(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """An LLM that names a disliked restaurant gets the fallback set, which omits it."""
    answered.llm_picks(["p2", "p1"])
    result = await run_type("dining", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "fallback"
    assert "p2" not in {i.id for i in result.items}
    assert result.items[0].id == "p1"  # near, liked, grade A


async def test_unknown_user_fails_clearly(
    upstreams: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """A user the profile service does not know fails the refresh with UpstreamNotFound."""
    upstreams.profile("ghost", status=404)
    upstreams.lie("/v1/users/ghost/locations", {"detail": "nope"}, status=404)
    upstreams.cis("/v1/customers/ghost", {"detail": "nope"}, status=404)
    with pytest.raises(UpstreamNotFound):
        await run_type("dining", "ghost", plugins=portal_plugins, settings=portal_settings)
