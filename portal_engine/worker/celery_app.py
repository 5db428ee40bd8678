"""The Celery app: one durable queue per type, settings for long, idempotent LLM tasks."""

from __future__ import annotations

from typing import Any

import structlog
from celery import Celery, signals
from kombu.entity import Exchange, Queue

from portal_engine.registry import Plugins
from portal_engine.settings import Settings

#: The one task name; which type it refreshes is an argument, which queue it takes is the type's.
REFRESH_TASK = "portal_engine.refresh"
EXCHANGE = Exchange("portal", type="direct", durable=True)


def queues_for(plugins: Plugins, only: list[str] | None = None) -> list[Queue]:
    """The durable queues of every type, or of the types named in ``only``."""
    names = sorted({t.queue for t in plugins.types.values() if only is None or t.name in only})
    return [Queue(name, EXCHANGE, routing_key=name, durable=True) for name in names]


def create_celery(settings: Settings, plugins: Plugins) -> Celery:
    """Build the Celery app for ``settings``; the broker is ``memory://`` in embedded mode.

    The app carries ``settings`` and ``plugins`` so that tasks in any pool find them.
    """
    app = Celery(
        "portal_engine", broker=settings.broker_url or "memory://localhost/", set_as_current=False
    )
    app.conf.update(
        # A task is acknowledged only when done; a worker killed mid-task gives it back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Tasks are long (an LLM call): take one at a time so others can share the queue.
        worker_prefetch_multiplier=1,
        # Below RabbitMQ's 30 min consumer timeout, so the broker never drops the channel.
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_soft_time_limit + 30,
        # Statuses live in Redis with a TTL; a result backend would only grow.
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_queues=queues_for(plugins),
        task_default_exchange=EXCHANGE.name,
        task_default_exchange_type="direct",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.broker_timeout,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # On RabbitMQ, publisher confirms: without them a publish into a connection that went
        # silent (a network partition) "succeeds" into the socket buffer and the task is lost
        # while the API answers 202 and holds the refresh lock for it. See start_refresh.
        broker_transport_options=(
            {"polling_interval": 0.05} if settings.broker_url is None else {"confirm_publish": True}
        ),
    )
    app.portal_settings = settings
    app.portal_plugins = plugins
    from portal_engine.worker.tasks import register_tasks, runtime_of

    register_tasks(app)

    def close_runtime(**_: Any) -> None:
        runtime_of(app).close()

    # weak=False: the closures would otherwise be collected before the worker stops.
    signals.worker_process_shutdown.connect(close_runtime, weak=False)
    signals.worker_shutdown.connect(close_runtime, weak=False)
    return app


def _bind_task_context(
    task_id: str | None = None, kwargs: dict[str, Any] | None = None, **_: Any
) -> None:
    """Put the task id and the request id that started it on Celery's own log lines too."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task_id=task_id, request_id=(kwargs or {}).get("request_id")
    )


def _unbind_task_context(**_: Any) -> None:
    # Nothing of one task's context may leak into the next task's lines.
    structlog.contextvars.clear_contextvars()


signals.task_prerun.connect(_bind_task_context, weak=False)
signals.task_postrun.connect(_unbind_task_context, weak=False)
