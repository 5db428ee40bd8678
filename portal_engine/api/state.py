"""What the API keeps per process: settings, plugins, the store, the Celery app."""

from __future__ import annotations

import attrs
from celery import Celery
from quart import current_app

from portal_engine.errors import NotFound
from portal_engine.plugin_api import RecommendationType
from portal_engine.registry import Plugins
from portal_engine.settings import Settings
from portal_engine.store import Store
from portal_engine.worker.embedded import EmbeddedWorker

EXTENSION = "portal_engine"


@attrs.define
class ApiState:
    """Per-process state, opened in ``before_serving`` and closed in ``after_serving``."""

    settings: Settings
    plugins: Plugins
    celery: Celery
    store: Store | None = None
    embedded_worker: EmbeddedWorker | None = None

    def rtype(self, name: str) -> RecommendationType:
        """The type called ``name``; 404 naming the known ones otherwise."""
        rtype = self.plugins.get(name)
        if rtype is None:
            known = ", ".join(sorted(self.plugins.types)) or "none installed"
            raise NotFound(
                f"unknown recommendation type {name[:64]!r}; known types: {known}",
                extra={"known_types": sorted(self.plugins.types)},
            )
        return rtype


def state() -> ApiState:
    """The current app's :class:`ApiState`."""
    value: ApiState = current_app.extensions[EXTENSION]
    return value


def store() -> Store:
    """The current app's store (open while serving)."""
    opened = state().store
    if opened is None:  # pragma: no cover - only outside before_serving/after_serving
        raise RuntimeError("the store is opened in before_serving; is the app serving?")
    return opened
