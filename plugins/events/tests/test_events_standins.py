"""The events type against the stand-in services and their real NYC Parks data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from portal_engine.demo.standins import create_standins_app
from portal_engine.plugin_api import Context, FetchRequest, ServiceURLs
from portal_engine.registry import Plugins
from portal_engine.testing import assert_type_conforms

from portal_engine_events import EVENTS
from portal_engine_events.prompt import EventsPromptBuilder
from portal_engine_events.scoring import Interests

BASE = "http://standins.test"
SERVICES = ServiceURLs(user_profile=f"{BASE}/user-profile", lie=f"{BASE}/lie", cis=f"{BASE}/cis")


@pytest.fixture
async def standins() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests the stand-in services app answers in-process."""
    transport = httpx.ASGITransport(app=create_standins_app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def _context(client: httpx.AsyncClient, user_id: str) -> Context:
    request = FetchRequest(user_id=user_id, type="events", services=SERVICES)
    data = {fetcher.name: await fetcher.fetch(client, request) for fetcher in EVENTS.fetchers}
    return Context(user_id=user_id, type="events", data=data)


@pytest.mark.parametrize("user_id", [f"user-{n}" for n in range(1, 6)])
async def test_demo_users_get_enough_candidates(standins: httpx.AsyncClient, user_id: str) -> None:
    """Each of the first demo users has at least five upcoming events near home or work."""
    context = await _context(standins, user_id)
    prompt = await EventsPromptBuilder().build(context, limit=10)
    assert len(prompt.candidates) >= 5
    assert {c.details["near"].split(" ")[0] for c in prompt.candidates} <= {"home", "work"}
    assert all(0 <= c.details["distance_km"] <= 3 for c in prompt.candidates)


async def test_demo_user_sees_their_interests_first(
    standins: httpx.AsyncClient, portal_plugins: Plugins
) -> None:
    """A demo user with matching events nearby is offered those first, and the contract holds."""
    context = await _context(standins, "user-4")
    await assert_type_conforms("events", plugins=portal_plugins, context=context)
    prompt = await EventsPromptBuilder().build(context, limit=10)
    interests = Interests.from_context(context)
    matches = [interests.matched(c.details) is not None for c in prompt.candidates]
    assert matches[0] and matches.count(True) >= 5
    # Every match comes before every non-match.
    assert matches == sorted(matches, reverse=True)
