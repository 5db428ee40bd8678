"""The dining type through the core's testing kit: conformance and whole pipeline runs."""

from __future__ import annotations

from typing import Any

import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.registry import Plugins
from portal_engine.testing import Upstreams, assert_type_conforms, run_type
from portal_engine.testing.samples import HOME, customer, place, profile

PLACES = [
    place("p1", cuisine="Japanese", distance_km=0.3, inspection_grade="A"),
    place("p2", cuisine="Chinese", distance_km=0.1, inspection_grade="A"),
    place("p3", cuisine="Thai", distance_km=0.9, inspection_grade="B"),
    place("p4", cuisine="American", distance_km=1.5),
]


@pytest.fixture
def answered(upstreams: Upstreams) -> Upstreams:
    """Profile, LIE and CIS answer for user u1 as the real services would."""
    upstreams.profile("u1", profile())
    upstreams.locations("u1", [HOME])
    upstreams.nearby(HOME, PLACES, kind="dining", radius_km=2)
    upstreams.customer("u1", customer())
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
    upstreams.locations("ghost", status=404)
    upstreams.customer("ghost", status=404)
    with pytest.raises(UpstreamNotFound):
        await run_type("dining", "ghost", plugins=portal_plugins, settings=portal_settings)
