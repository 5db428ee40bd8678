"""Every hook a Portal Engine plugin can implement: the plugin author's reference.

A plugin is a module (or object) registered under the ``portal_engine`` entry-point group whose
functions are decorated with :data:`hookimpl`::

    from portal_engine import hookimpl

    @hookimpl
    def register_types(registry):
        registry.add(RecommendationType(name="dining", ...))

Hooks register and shape; they never run the pipeline themselves. A hook may return an awaitable
where its docs say so: the core awaits it. An exception raised by one plugin's hook is caught and
logged with the plugin's name; it never fails another plugin's type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from portal_engine.models import Item, RecommendationSet
    from portal_engine.plugin_api import Context
    from portal_engine.registry import TypeRegistry
    from portal_engine.store import Store

#: Project name of the plugin manager and the entry-point group plugins are found under.
PROJECT = "portal_engine"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_types(registry: TypeRegistry) -> None:
    """Add the plugin's recommendation types; the one hook every type plugin implements.

    Called once per process when plugins load, before the API or a worker starts. Call
    ``registry.add(RecommendationType(...))`` for each type. A name another plugin already owns
    is refused with an error naming both plugins. Returns nothing.

    Name your entry point after your type (``dining = "portal_engine_dining"``): a worker started
    with ``--type dining`` then imports only your plugin.
    """


@hookspec
def enrich_context(context: Context) -> Mapping[str, Any] | Awaitable[Mapping[str, Any]] | None:
    """Add data to the context of every type, after the type's fetchers ran.

    Called in the worker once per refresh. Return a mapping (or an awaitable of one) whose keys
    are merged into ``context.data`` and so reach the prompt builder; return ``None`` to add
    nothing. Keys the fetchers set are never overwritten.
    """


@hookspec
def exclude_items(
    context: Context, items: list[Item], store: Store
) -> Collection[str] | Awaitable[Collection[str]] | None:
    """Name items that must not be served, e.g. ones the user has dismissed or already seen.

    Called in the worker once per refresh, before the LLM sees the candidates: ``items`` are
    the candidates as items (score 0, no reason yet). Return the ids to drop (or an awaitable
    of them); the union over all plugins is removed from the candidates, and the LLM is asked
    for as many more, so the set stays full.
    """


@hookspec
def on_set_ready(recommendation_set: RecommendationSet, store: Store) -> Awaitable[None] | None:
    """React when a new set has been stored, e.g. notify the user.

    Called in the worker after the set is in Redis; a failure here is logged and never undoes
    the set. The core's notifications are a built-in plugin on this hook. Returns nothing (or
    an awaitable, which the core awaits).
    """
