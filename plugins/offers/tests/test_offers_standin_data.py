"""The offers type against the demo's stand-in CIS and profile services and their real data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_engine.demo.standins import create_standins_app
from portal_engine.demo.users import SEGMENTS, load_users
from portal_engine.models import converter
from portal_engine.plugin_api import Context, FetchRequest, ServiceURLs

from portal_engine_offers import OFFERS, OfferDetails

BASE = "http://standins.test"
SERVICES = ServiceURLs(user_profile=f"{BASE}/user-profile", lie=f"{BASE}/lie", cis=f"{BASE}/cis")


@pytest.fixture
async def standins() -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests the stand-in services app answers in process."""
    # Quart types its ASGI callable more narrowly than httpx does; the protocol is the same.
    app: Any = create_standins_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


@pytest.mark.parametrize("segment", SEGMENTS)
async def test_every_segment_yields_enough_candidates(
    standins: httpx.AsyncClient, segment: str
) -> None:
    """A demo customer of each segment gets at least ten offers to choose from, all well formed."""
    user = next(u for u in load_users().values() if u.segment == segment)
    request = FetchRequest(user_id=user.user_id, type="offers", services=SERVICES)
    data = {fetcher.name: await fetcher.fetch(standins, request) for fetcher in OFFERS.fetchers}
    context = Context(user_id=user.user_id, type="offers", data=data)
    prompt = await OFFERS.prompt_builder.build(context, OFFERS.limit)
    assert len(prompt.candidates) >= 10
    assert len({c.id for c in prompt.candidates}) == len(prompt.candidates)
    for candidate in prompt.candidates:
        details = converter.structure(candidate.details, OfferDetails)
        assert details.segment == segment
        assert details.price_after_discount_gbp <= details.price_gbp
        assert candidate.title != candidate.title.upper()  # presented title-cased
    items = OFFERS.fallback_ranker.rank(context, prompt.candidates, OFFERS.limit)
    assert len(items) == OFFERS.limit
    assert all(f"picked for {segment} members" in item.reason for item in items)
