"""The events type through the core's testing kit: conformance and whole pipeline runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from portal_engine.errors import UpstreamNotFound
from portal_engine.models import utcnow
from portal_engine.plugin_api import Context
from portal_engine.registry import Plugins
from portal_engine.testing import Upstreams, assert_type_conforms, run_type, samples
from portal_engine.testing.samples import HOME, WORK


def _event(eid: str, category: str, distance: float, starts_in: timedelta) -> dict[str, Any]:
    # Times relative to the real clock: run_type fetches with the engine's own "now".
    start = utcnow() + starts_in
    return samples.event(
        eid,
        primary_category=category,
        categories=[category],
        start=start.isoformat(),
        end=(start + timedelta(hours=2)).isoformat(),
        distance_km=distance,
    )


NEAR_HOME = [
    _event("e1", "Fitness", 0.3, timedelta(days=2)),
    _event("e2", "Film", 0.1, timedelta(days=1)),
    _event("e3", "Concerts", 2.5, timedelta(days=5)),
    _event("e4", "Fitness", 0.2, timedelta(days=-1)),  # ended yesterday
]
NEAR_WORK = [_event("e3", "Concerts", 0.6, timedelta(days=5))]


@pytest.fixture
def answered(upstreams: Upstreams) -> Upstreams:
    """Profile and LIE answer for user u1 as the real services would."""
    upstreams.profile("u1", samples.profile())
    upstreams.locations("u1", [HOME, WORK])
    upstreams.nearby(HOME, NEAR_HOME, kind="events", radius_km=3)
    upstreams.nearby(WORK, NEAR_WORK, kind="events", radius_km=3)
    return upstreams


async def test_events_declaration_conforms(portal_plugins: Plugins) -> None:
    """The installed events type keeps the plugin contract."""
    await assert_type_conforms("events", plugins=portal_plugins)


async def test_events_parts_conform_on_a_sample_context(portal_plugins: Plugins) -> None:
    """The builder and the ranker keep the contract on a context as the fetchers return it."""
    fixed_dates = {
        "e1": "2026-12-12T10:00:00-05:00",
        "e2": "2026-12-11T10:00:00-05:00",
        "e3": "2026-12-15T10:00:00-05:00",
    }
    events = [
        {
            **event,
            "start": fixed_dates[event["id"]],
            "end": "2026-12-31T00:00:00-05:00",
            "near": "home (Astoria)",
        }
        for event in NEAR_HOME
        if event["id"] in fixed_dates
    ]
    fetched = {"as_of": "2026-12-10T12:00:00+00:00", "locations": [HOME], "events": events}
    data = {"profile": samples.profile(), "events": fetched}
    context = Context(user_id="u1", type="events", data=data)
    rtype = await assert_type_conforms("events", plugins=portal_plugins, context=context)
    prompt = await rtype.prompt_builder.build(context, rtype.limit)
    items = rtype.fallback_ranker.rank(context, prompt.candidates, rtype.limit)
    # Interests first (Fitness before the farther, later Concerts), then the Film.
    assert [item.id for item in items] == ["e1", "e3", "e2"]


async def test_llm_picks_are_served_with_candidate_details(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """The LLM's picks become the set, titles and details taken from the fetched events."""
    answered.llm_picks(["e3", "e1"], reason="Concerts, which you enjoy, near work.")
    result = await run_type("events", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "llm"
    assert [i.id for i in result.items] == ["e3", "e1"]
    assert result.items[0].title == "Event e3"
    assert result.items[0].details["near"] == "work (Midtown-Midtown South)"
    assert result.items[0].details["distance_km"] == 0.6
    offered = [candidate["id"] for candidate in answered.llm_fences()["candidates"]]
    assert sorted(offered) == ["e1", "e2", "e3"]  # e4 has ended


async def test_llm_naming_a_non_candidate_gets_the_fallback_set(
    answered: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """An LLM that names an event it was not offered gets the fallback set instead."""
    answered.llm_picks(["e4", "e1"])
    result = await run_type("events", "u1", plugins=portal_plugins, settings=portal_settings)
    assert result.source == "fallback"
    assert [i.id for i in result.items] == ["e1", "e3", "e2"]
    assert result.items[0].reason.startswith("Fitness, which you enjoy, on ")
    assert result.items[0].reason.endswith(", 0.3 km from your home in Astoria.")


async def test_unknown_user_fails_clearly(
    upstreams: Upstreams, portal_plugins: Plugins, portal_settings: Any
) -> None:
    """A user the profile service does not know fails the refresh with UpstreamNotFound."""
    upstreams.profile("ghost", status=404)
    upstreams.locations("ghost", status=404)
    with pytest.raises(UpstreamNotFound):
        await run_type("events", "ghost", plugins=portal_plugins, settings=portal_settings)


async def test_api_lists_the_events_type(portal_client: Any) -> None:
    """The running API lists ``events`` with its queue and the distribution that provides it."""
    response = await portal_client.get("/api/v1/recommendations/types")
    assert response.status_code == 200
    listed = {t["name"]: t for t in (await response.get_json())["types"]}
    assert listed["events"]["queue"] == "portal.events"
    assert listed["events"]["plugin"] == "portal-engine-events"
