"""The embedded worker: a Celery worker in a thread of this process, on the ``memory://`` broker.

It runs the very task code production runs on RabbitMQ; only the transport differs. Used by the
demo and by ``serve`` when no broker is configured.
"""

from __future__ import annotations

import threading

from celery import Celery
from celery.app.trace import setup_worker_optimizations
from celery.worker import WorkController

from portal_engine.worker.celery_app import queues_for


class EmbeddedWorker:
    """A Celery worker consuming every type's queue, in a daemon thread."""

    def __init__(self, app: Celery, concurrency: int = 4) -> None:
        plugins = app.portal_plugins
        self._controller = WorkController(
            app=app,
            pool_cls="threads",
            concurrency=concurrency,
            queues=[q.name for q in queues_for(plugins)],
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="WARNING",
        )
        self._thread = threading.Thread(
            target=self._controller.start, name="portal-embedded-worker", daemon=True
        )

    def start(self) -> None:
        """Start consuming in the background."""
        # What `celery worker` does for its app and a bare WorkController does not: make this
        # app the one the pool's threads trace tasks with (they start without a current app).
        setup_worker_optimizations(self._controller.app)
        self._thread.start()

    def stop(self) -> None:
        """Stop consuming; the thread ends by itself within one poll (up to 2 s).

        Not waiting for it keeps shutdown instant: Celery's loop only checks for a stop
        between two 2-second drains of the queue, and the thread is a daemon.
        """
        self._controller.stop(in_sighandler=False, exitcode=0)
        self._thread.join(timeout=0.1)
