"""Portal Engine recommendation type ``events``: public events near the user's home or work.

Candidates are the upcoming NYC Parks events the location service (LIE) finds around the user's
locations. The LLM ranks them by the user's interests, how soon they start and how close they
are; without it, :class:`EventsFallbackRanker` does.
"""

from __future__ import annotations

from portal_engine import hookimpl
from portal_engine.plugin_api import RecommendationType
from portal_engine.registry import TypeRegistry
from portal_engine.services import ProfileFetcher

from portal_engine_events.fetchers import EventsFetcher
from portal_engine_events.prompt import EventsPromptBuilder
from portal_engine_events.ranker import EventsFallbackRanker
from portal_engine_events.schema import EventDetails

__version__ = "0.1.0"

#: The plugin-API version this plugin targets.
PORTAL_PLUGIN_API = 1

#: The ``events`` type as this plugin registers it.
EVENTS = RecommendationType(
    name="events",
    description=(
        "Public events near your home or work this week and next that match your interests."
    ),
    fetchers=[ProfileFetcher(), EventsFetcher()],
    prompt_builder=EventsPromptBuilder(),
    fallback_ranker=EventsFallbackRanker(),
    ttl=3600,
    limit=10,
    # Below the TTL, so an active user's set is remade before it expires and events that have
    # ended leave it within the hour.
    refresh_interval=3000,
    version="1",
    details_schema=EventDetails,
)


@hookimpl
def register_types(registry: TypeRegistry) -> None:
    """Register the ``events`` type."""
    registry.add(EVENTS)


__all__ = [
    "EVENTS",
    "PORTAL_PLUGIN_API",
    "EventDetails",
    "EventsFallbackRanker",
    "EventsFetcher",
    "EventsPromptBuilder",
    "ProfileFetcher",
    "__version__",
    "register_types",
]
