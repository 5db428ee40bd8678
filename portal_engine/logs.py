"""structlog set-up: JSON lines in production, readable ones in development.

:func:`configure_logging` is called once by the API and by each worker process. Context such as
``request_id``, ``task_id`` and ``type`` is bound with ``structlog.contextvars`` and appears on
every line logged inside that request or task. Secrets never reach a log line: the processor
:func:`redact` masks values of keys that look secret.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from portal_engine.settings import Settings

_SECRET_KEY = re.compile(r"(key|token|secret|password|authorization)", re.IGNORECASE)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask the values of keys that look like credentials."""
    for key in list(event):
        if _SECRET_KEY.search(key) and event[key]:
            event[key] = "***"
    return event


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library's logging through one renderer."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.logs_as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # httpx logs every request at INFO, with full URLs; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
