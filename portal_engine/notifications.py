"""The core's notifications, a built-in plugin: tell the user when a new set is ready."""

from __future__ import annotations

from portal_engine.hookspecs import hookimpl
from portal_engine.models import RecommendationSet
from portal_engine.store import Store


@hookimpl
async def on_set_ready(recommendation_set: RecommendationSet, store: Store) -> None:
    """Add a "your recommendations are ready" notification for the set's user."""
    count = len(recommendation_set.items)
    await store.add_notification(
        recommendation_set.user_id,
        kind="recommendations_ready",
        title=f"Your {recommendation_set.type} recommendations are ready",
        body=f"{count} new {recommendation_set.type} recommendation{'s' if count != 1 else ''}.",
        data={"type": recommendation_set.type, "items": count},
    )
