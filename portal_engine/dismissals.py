"""Dismissed items, a built-in plugin: an item a user dismissed never comes back to them."""

from __future__ import annotations

from portal_engine.hookspecs import hookimpl
from portal_engine.models import Item
from portal_engine.plugin_api import Context
from portal_engine.store import Store


@hookimpl
async def exclude_items(context: Context, items: list[Item], store: Store) -> set[str]:
    """Drop the items this user has dismissed for this type."""
    return await store.dismissed(context.type, context.user_id)
