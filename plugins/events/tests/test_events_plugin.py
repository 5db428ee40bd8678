"""Tests for the portal_engine_events package: how it registers its type."""

from __future__ import annotations

from portal_engine.plugin_api import FallbackRanker, Fetcher, PromptBuilder
from portal_engine.registry import load_plugins

import portal_engine_events
from portal_engine_events.schema import EventDetails


def test_register_types_adds_events_on_its_queue() -> None:
    """Loading the plugin makes the ``events`` type available, served from queue portal.events."""
    # only=() keeps any installed entry points out, so the type comes from this module alone.
    plugins = load_plugins(only=(), extra=[("events", portal_engine_events)], strict=True)
    events = plugins.get("events")
    assert events is not None
    assert events.queue == "portal.events"
    assert events.ttl == 3600 and events.limit == 10 and events.version == "1"
    assert 0 < events.refresh_interval < events.ttl
    assert events.details_schema is EventDetails
    assert events.description == (
        "Public events near your home or work this week and next that match your interests."
    )


def test_parts_fit_the_plugin_api() -> None:
    """Every fetcher, the builder and the ranker satisfy the core's protocols."""
    events = portal_engine_events.EVENTS
    assert [fetcher.name for fetcher in events.fetchers] == ["profile", "events"]
    assert all(isinstance(fetcher, Fetcher) for fetcher in events.fetchers)
    assert isinstance(events.prompt_builder, PromptBuilder)
    assert isinstance(events.fallback_ranker, FallbackRanker)
