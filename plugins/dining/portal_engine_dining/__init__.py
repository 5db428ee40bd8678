"""Portal Engine recommendation type ``dining``: places to eat near the user's home or work.

Candidates are the dining places the location service (LIE) finds around the user's locations;
places of a cuisine the user dislikes are never offered. The LLM ranks them by liked cuisines,
closeness, hygiene grade and diet; without it, :class:`DiningFallbackRanker` does.
"""

from __future__ import annotations

from portal_engine import hookimpl
from portal_engine.plugin_api import RecommendationType
from portal_engine.registry import TypeRegistry
from portal_engine.services import CustomerFetcher, ProfileFetcher

from portal_engine_dining.fetchers import PlacesFetcher
from portal_engine_dining.prompt import DiningPromptBuilder
from portal_engine_dining.ranker import DiningFallbackRanker
from portal_engine_dining.schema import DiningDetails

__version__ = "0.1.0"

#: The plugin-API version this plugin targets.
PORTAL_PLUGIN_API = 1

#: The ``dining`` type as this plugin registers it.
DINING = RecommendationType(
    name="dining",
    description=(
        "Restaurants, cafes and bakeries near your home or work that match the cuisines you like."
    ),
    fetchers=[ProfileFetcher(), PlacesFetcher(), CustomerFetcher()],
    prompt_builder=DiningPromptBuilder(),
    fallback_ranker=DiningFallbackRanker(),
    ttl=3600,
    limit=10,
    version="1",
    details_schema=DiningDetails,
)


@hookimpl
def register_types(registry: TypeRegistry) -> None:
    """Register the ``dining`` type."""
    registry.add(DINING)


__all__ = [
    "DINING",
    "CustomerFetcher",
    "DiningDetails",
    "DiningFallbackRanker",
    "DiningPromptBuilder",
    "PlacesFetcher",
    "ProfileFetcher",
    "__version__",
    "register_types",
]
