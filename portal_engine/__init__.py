"""Portal Engine: personalised, LLM-generated recommendations, one plugin per type."""

from __future__ import annotations

from portal_engine.hookspecs import hookimpl
from portal_engine.models import Candidate, Item, RecommendationSet
from portal_engine.plugin_api import (
    ChatMessage,
    Context,
    FallbackRanker,
    Fetcher,
    FetchRequest,
    Prompt,
    PromptBuilder,
    RecommendationType,
    ServiceURLs,
)

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "ChatMessage",
    "Context",
    "FallbackRanker",
    "FetchRequest",
    "Fetcher",
    "Item",
    "Prompt",
    "PromptBuilder",
    "RecommendationSet",
    "RecommendationType",
    "ServiceURLs",
    "__version__",
    "hookimpl",
]
