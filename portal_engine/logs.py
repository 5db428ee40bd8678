"""structlog set-up: JSON lines in production, readable ones in development.

:func:`configure_logging` is called once by the API and by each worker process. Context such as
``request_id``, ``task_id`` and ``type`` is bound with ``structlog.contextvars`` and appears on
every line logged inside that request or task; Celery's "Task ... received" line, logged before
its task runs, takes them from the message (:func:`celery_received_context`). Secrets never
reach a log line: the processor :func:`redact` masks values of keys that look secret.
"""

from __future__ import annotations

import ast
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


def celery_received_context(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Give Celery's "Task ... received" line the task id and request id its task logs with.

    Celery logs it in the consumer, before the task runs and binds its context, so it carried
    neither; the record holds the message's id and a repr of its kwargs, which is where the
    request id travels.
    """
    record = event.get("_record")
    data = getattr(record, "data", None)
    if record is None or record.name != "celery.worker.strategy" or not isinstance(data, dict):
        return event
    if "id" not in data or "kwargs" not in data:
        return event
    event.setdefault("task_id", data["id"])
    try:
        kwargs = ast.literal_eval(data["kwargs"]) if isinstance(data["kwargs"], str) else None
    except (ValueError, SyntaxError):  # a repr Celery cut short, or of a non-literal value
        kwargs = None
    if isinstance(kwargs, dict) and kwargs.get("request_id") is not None:
        event.setdefault("request_id", kwargs["request_id"])
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
        foreign_pre_chain=[*shared, celery_received_context],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # httpx logs every request at INFO, with full URLs; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
