"""The offers type through the core's testing kit: conformance and whole pipeline runs."""

from __future__ import annotations

from typing import Any

import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.plugin_api import Context
from portal_engine.registry import Plugins
from portal_engine.testing import Upstreams, assert_type_conforms, run_type
from portal_engine.testing.samples import customer, profile

CUSTOMER = customer()
PROFILE = profile(interests=["Art", "Concerts"])
OFFERS = [
    {
        "id": "85123A",
        "title": "WHITE HANGING HEART T-LIGHT HOLDER",
        "category": "Candles & Lighting",
        "price_gbp": 2.95,
        "discount_pct": 10,
    },
    {
        "id": "22720",
        "title": "SET OF 3 CAKE TINS PANTRY DESIGN",
        "category": "Kitchen & Dining",
        "price_gbp": 4.95,
        "discount_pct": 25,
    },
    {
        "id": "21754",
        "title": "HOME BUILDING BLOCK WORD",
        "category": "Home Decor",
        "price_gbp": 5.95,
        "discount_pct": 5,
    },
]
OFFERS_PARAMS = {"segment": "standard", "limit": 50}


@pytest.fixture
def answered(upstreams: Upstreams) -> Upstreams:
    """CIS and the user profile service answer for user u1 as the real services would."""
    upstreams.customer("u1", CUSTOMER)
    upstreams.cis("/v1/offers", {"offers": OFFERS}, params=OFFERS_PARAMS)
    upstreams.profile("u1", PROFILE)
    return upstreams


async def test_offers_declaration_conforms(portal_plugins: Plugins) -> None:
    """The installed offers type keeps the plugin contract."""
    rtype = await assert_type_conforms("offers", plugins=portal_plugins)
    assert rtype.queue == "portal.offers"


async def test_offers_parts_conform_on_a_sample_context(portal_plugins: Plugins) -> None:
    """On a context shaped like the fetchers' answers, builder and ranker keep the contract."""
    context = Context(
        user_id="u1",
        type="offers",
        data={
            "offers": {"customer": CUSTOMER, "segment": "standard", "offers": OFFERS},
            "profile": PROFILE,
        },
    )
    await assert_type_conforms("offers", plugins=portal_plugins, context=context)


async def test_llm_picks_are_served_with_candidate_details(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """The LLM's picks become the set, titles and details taken from the CIS offers."""
    answered.llm_picks(["22720", "85123A"], reason="A good deal on things you use.")
    result = await run_type("offers", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "llm"
    assert result.missing_context == []
    assert [item.id for item in result.items] == ["22720", "85123A"]
    tins = result.items[0]
    assert tins.title == "Set of 3 Cake Tins Pantry Design"
    assert tins.details["price_after_discount_gbp"] == 3.71
    assert tins.details["segment"] == "standard"
    assert len(answered.llm_requests()) == 1
    assert {c["id"] for c in answered.llm_fences()["candidates"]} == {"85123A", "22720", "21754"}


async def test_llm_naming_a_non_candidate_gets_the_fallback_set(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """An LLM that names an offer CIS never made is not trusted; the fallback ranker serves."""
    answered.llm_picks(["NOT-OFFERED", "22720"])
    result = await run_type("offers", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "fallback"
    assert [item.id for item in result.items] == ["22720", "21754", "85123A"]
    assert result.items[0].reason == (
        "25% off Kitchen & Dining, now £3.71, picked for standard members."
    )
    assert "NOT-OFFERED" not in {item.id for item in result.items}


async def test_unknown_customer_fails_clearly(
    upstreams: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """A user CIS does not know fails the refresh with UpstreamNotFound."""
    upstreams.customer("ghost", {"error": "no user 'ghost'"}, status=404)
    upstreams.profile("ghost", PROFILE)
    with pytest.raises(UpstreamNotFound, match="ghost"):
        await run_type("offers", "ghost", plugins=portal_plugins, settings=portal_settings)


async def test_profile_down_still_makes_a_set_for_the_segment(
    upstreams: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """With the profile service failing, a set is still made and says the profile is missing."""
    upstreams.customer("u1", CUSTOMER)
    upstreams.cis("/v1/offers", {"offers": OFFERS}, params=OFFERS_PARAMS)
    upstreams.profile("u1", {"error": "down"}, status=500)
    upstreams.llm_picks(["85123A"])
    result = await run_type("offers", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.missing_context == ["profile"]
    assert result.source == "llm"
    assert [item.id for item in result.items] == ["85123A"]
