"""Portal Engine recommendation type ``offers``: product offers for the user's customer segment.

Candidates are the offers the customer information service (CIS) makes to the user's segment.
The LLM ranks them by discount, by how well the price fits the user's price level and by the
categories the user's interests point to; without it, :class:`OffersFallbackRanker` does.
"""

from __future__ import annotations

from portal_engine import hookimpl
from portal_engine.plugin_api import RecommendationType
from portal_engine.registry import TypeRegistry

from portal_engine_offers.fetchers import OffersFetcher, ProfileFetcher
from portal_engine_offers.prompt import OffersPromptBuilder
from portal_engine_offers.ranker import OffersFallbackRanker
from portal_engine_offers.schema import OfferDetails

__version__ = "0.1.0"

#: The plugin-API version this plugin targets.
PORTAL_PLUGIN_API = 1

#: The ``offers`` type as this plugin registers it.
OFFERS = RecommendationType(
    name="offers",
    description="Offers picked for your customer segment and what you like.",
    fetchers=[OffersFetcher(), ProfileFetcher()],
    prompt_builder=OffersPromptBuilder(),
    fallback_ranker=OffersFallbackRanker(),
    ttl=3600,
    limit=10,
    version="1",
    details_schema=OfferDetails,
)


@hookimpl
def register_types(registry: TypeRegistry) -> None:
    """Register the ``offers`` type."""
    registry.add(OFFERS)


__all__ = [
    "OFFERS",
    "OfferDetails",
    "OffersFallbackRanker",
    "OffersFetcher",
    "OffersPromptBuilder",
    "ProfileFetcher",
    "__version__",
    "register_types",
]
