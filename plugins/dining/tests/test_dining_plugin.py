"""Tests for the portal_engine_dining package: how it registers its type."""

from __future__ import annotations

from portal_engine.plugin_api import FallbackRanker, Fetcher, PromptBuilder
from portal_engine.registry import load_plugins

import portal_engine_dining
from portal_engine_dining.schema import DiningDetails


def test_register_types_adds_dining_on_its_queue() -> None:
    """Loading the plugin makes the ``dining`` type available, served from queue portal.dining."""
    # only=() keeps any installed entry points out, so the type comes from this module alone.
    plugins = load_plugins(only=(), extra=[("dining", portal_engine_dining)], strict=True)
    dining = plugins.get("dining")
    assert dining is not None
    assert dining.queue == "portal.dining"
    assert dining.ttl == 3600 and dining.limit == 10 and dining.version == "1"
    assert dining.details_schema is DiningDetails
    assert dining.description.startswith("Restaurants, cafes and bakeries near your home or work")


def test_parts_fit_the_plugin_api() -> None:
    """Every fetcher, the builder and the ranker satisfy the core's protocols."""
    dining = portal_engine_dining.DINING
    assert [fetcher.name for fetcher in dining.fetchers] == ["profile", "places", "customer"]
    assert all(isinstance(fetcher, Fetcher) for fetcher in dining.fetchers)
    assert isinstance(dining.prompt_builder, PromptBuilder)
    assert isinstance(dining.fallback_ranker, FallbackRanker)
