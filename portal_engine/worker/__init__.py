"""The Celery side: ``celery -A portal_engine.worker worker -Q portal.dining`` works as usual.

The module attribute ``app`` (also ``celery``) is built on first access from the environment's
settings and plugins, so importing this package costs nothing until a worker needs it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from celery import Celery

from portal_engine.worker.celery_app import REFRESH_TASK, create_celery, queues_for

__all__ = ["REFRESH_TASK", "app", "create_celery", "default_app", "queues_for"]

#: Set by ``portal-engine worker --type T``: load only the plugins that own these types.
TYPES_ENV = "PORTAL_WORKER_TYPES"


@functools.cache
def default_app() -> Celery:
    """The Celery app for this process's environment (settings, ``.env``, plugins)."""
    from portal_engine.logs import configure_logging
    from portal_engine.registry import load_plugins
    from portal_engine.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    types = [t for t in os.environ.get(TYPES_ENV, "").split(",") if t]
    plugins = load_plugins(settings, only_types=types or None)
    return create_celery(settings, plugins)


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        return default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
