"""Tests for the portal_engine_offers package: how it registers its type."""

from __future__ import annotations

from portal_engine.plugin_api import FallbackRanker, Fetcher, PromptBuilder
from portal_engine.registry import load_plugins

import portal_engine_offers
from portal_engine_offers.schema import OfferDetails


def test_register_types_adds_offers_on_its_queue() -> None:
    """Loading the plugin makes the ``offers`` type available, served from queue portal.offers."""
    # only=() keeps any installed entry points out, so the type comes from this module alone.
    plugins = load_plugins(only=(), extra=[("offers", portal_engine_offers)], strict=True)
    offers = plugins.get("offers")
    assert offers is not None
    assert offers.queue == "portal.offers"
    assert offers.ttl == 3600 and offers.limit == 10 and offers.version == "1"
    assert offers.details_schema is OfferDetails
    assert offers.description == "Offers picked for your customer segment and what you like."


def test_parts_fit_the_plugin_api() -> None:
    """Every fetcher, the builder and the ranker satisfy the core's protocols."""
    offers = portal_engine_offers.OFFERS
    assert [fetcher.name for fetcher in offers.fetchers] == ["offers", "profile"]
    assert [fetcher.optional for fetcher in offers.fetchers] == [False, True]
    assert all(isinstance(fetcher, Fetcher) for fetcher in offers.fetchers)
    assert isinstance(offers.prompt_builder, PromptBuilder)
    assert isinstance(offers.fallback_ranker, FallbackRanker)
