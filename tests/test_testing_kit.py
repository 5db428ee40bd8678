"""The plugin authors' kit: run_type against the demo's stand-ins, prompt inspection."""

from __future__ import annotations

import httpx
import pytest

from portal_engine.demo.standins import create_standins_app
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from portal_engine.testing import Upstreams, assert_type_conforms, run_type
from portal_engine.testing.conformance import ConformanceError
from tests.fakes import FakeTypes


async def test_run_type_against_the_standins_through_a_transport() -> None:
    """run_type can run a whole pipeline on the demo's real data, with no server started."""
    settings = Settings(
        user_profile_url="http://si/user-profile",
        lie_url="http://si/lie",
        cis_url="http://si/cis",
        prefetch_url="http://si/prefetch",
    )
    transport = httpx.ASGITransport(app=create_standins_app())  # type: ignore[arg-type]
    result = await run_type("dining", "user-7", settings=settings, transport=transport)
    assert result.source == "llm" and len(result.items) >= 5


async def test_llm_fences_show_what_the_model_saw(upstreams: Upstreams) -> None:
    """llm_fences decodes the prompt's data blocks, so a test can check what was sent."""
    upstreams.llm_picks(["c1"])
    plugins = load_plugins(only=(), strict=True, extra=[("fake", FakeTypes())])
    result = await run_type("alpha", "u1", plugins=plugins)
    assert [i.id for i in result.items] == ["c1"]
    fences = upstreams.llm_fences()
    assert fences["request"] == {"limit": 10}
    assert [c["id"] for c in fences["candidates"]] == ["c1"]


async def test_conformance_reports_an_unknown_type() -> None:
    """Checking a type nobody registered fails with the registered names."""
    with pytest.raises(ConformanceError, match="not registered"):
        await assert_type_conforms("no_such_type")
