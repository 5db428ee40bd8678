"""Every hook is documented and tested; one test per hook shows what a plugin gets from it."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from portal_engine import Context, RecommendationType, hookimpl, hookspecs
from portal_engine.models import RecommendationSet
from portal_engine.registry import Plugins, load_plugins
from portal_engine.store import Store
from portal_engine.testing import TEST_SETTINGS, Upstreams, run_type
from tests.fakes import Builder, FakeTypes, NoFetch, Ranker

HOOKS = sorted(
    name
    for name, fn in vars(hookspecs).items()
    if inspect.isfunction(fn) and hasattr(fn, "portal_engine_spec")
)


def _plugins(*extra: object) -> Plugins:
    return load_plugins(
        only=(),
        strict=True,
        extra=[("type", FakeTypes()), *((f"p{i}", p) for i, p in enumerate(extra))],
    )


@pytest.fixture
def llm(upstreams: Upstreams) -> Upstreams:
    """The LLM picks the fake type's one candidate."""
    upstreams.llm_picks(["c1"])
    return upstreams


def test_hookspecs_found() -> None:
    """The hook list is read from hookspecs.py (guards the guard tests below)."""
    assert {"register_types", "enrich_context", "exclude_items", "on_set_ready"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    """Each hook's docstring says when it is called and what it returns."""
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Called" in doc, f"{name}: say when it is called"
    assert "Return" in doc or "return" in doc, f"{name}: say what it returns"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name: str) -> None:
    """Each hook has a test_hook_<name> in this module."""
    assert callable(globals().get(f"test_hook_{name}")), f"write test_hook_{name}"


def test_hook_register_types() -> None:
    """register_types adds a plugin's types, each recorded with its owner."""
    plugins = _plugins()
    assert list(plugins.types) == ["alpha"]
    assert plugins.types["alpha"].plugin == "type"
    assert plugins.types["alpha"].queue == "portal.alpha"


async def test_hook_enrich_context(llm: Upstreams) -> None:
    """enrich_context's mapping reaches the prompt builder's context."""
    seen: dict[str, Any] = {}

    class Enrich:
        @hookimpl
        async def enrich_context(self, context: Context) -> dict[str, Any]:
            return {"weather": "sunny"}

    class Spy(Builder):
        async def build(self, context: Context, limit: int) -> Any:
            seen.update(context.data)
            return await super().build(context, limit)

    plugins = _plugins(Enrich())
    plugins.types["alpha"] = RecommendationType(
        name="alpha",
        description="d",
        fetchers=[NoFetch()],
        prompt_builder=Spy(),
        fallback_ranker=Ranker(),
    )
    await run_type("alpha", "u1", plugins=plugins, settings=TEST_SETTINGS)
    assert seen["weather"] == "sunny"


async def test_hook_exclude_items(llm: Upstreams, embedded_store: Store) -> None:
    """Ids returned by exclude_items are never served; the core's dismissals use it."""
    await embedded_store.dismiss("alpha", "u1", "c1")
    result = await run_type("alpha", "u1", plugins=_plugins(), store=embedded_store)
    assert result.items == []
    fresh = await run_type("alpha", "u2", plugins=_plugins(), store=embedded_store)
    assert [i.id for i in fresh.items] == ["c1"]


async def test_hook_on_set_ready(llm: Upstreams, embedded_store: Store) -> None:
    """on_set_ready is told about each stored set; the core's notifications use it."""
    told: list[RecommendationSet] = []

    class React:
        @hookimpl
        def on_set_ready(self, recommendation_set: RecommendationSet) -> None:
            told.append(recommendation_set)

    result = await run_type("alpha", "u1", plugins=_plugins(React()), store=embedded_store)
    assert told == [result]
    notes, unread = await embedded_store.list_notifications("u1", 10)
    assert unread == 1 and notes[0].kind == "recommendations_ready"
