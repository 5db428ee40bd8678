"""Calling optional hooks so that one plugin's failure stays inside that plugin."""

from __future__ import annotations

import inspect
from typing import Any

import pluggy
import structlog

log = structlog.get_logger(__name__)


async def call_each(hook: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Call every implementation of ``hook``; return the results that are not ``None``.

    Each implementation gets only the arguments it declares (as pluggy allows), an awaitable
    result is awaited, and an exception is logged with the plugin's name and skipped, so one
    broken plugin never fails another plugin's type.
    """
    results: list[Any] = []
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own order: last registered first
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            log.exception("hook failed", hook=hook.name, plugin=impl.plugin_name)
            continue
        if result is not None:
            results.append(result)
    return results
