"""``portal-engine beat``: refresh the sets of recently active users before they expire."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import structlog
from celery import Celery

from portal_engine.errors import ServiceUnavailable
from portal_engine.redis_client import connect
from portal_engine.refreshes import start_refresh
from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings
from portal_engine.store import Store
from portal_engine.worker.celery_app import create_celery

log = structlog.get_logger(__name__)


async def refresh_due(store: Store, plugins: Plugins, celery: Celery, now: float) -> int:
    """Refresh the sets of active users that expire within a fifth of their TTL.

    A user is active for a type when they read it within its ``refresh_interval`` before
    ``now`` (a Unix time). A refresh already running is joined, not repeated.

    Returns:
        How many (type, user) refreshes were asked for.
    """
    started = 0
    for rtype in plugins.types.values():
        soon = datetime.fromtimestamp(now, UTC) + timedelta(seconds=rtype.ttl / 5)
        for user_id in await store.active_users(rtype.name, now - rtype.refresh_interval):
            current = await store.get_set(rtype.name, user_id)
            if current is not None and rtype.is_fresh(current, soon):
                continue
            await start_refresh(store, celery, rtype, user_id)
            started += 1
    return started


async def run_scheduler(settings: Settings, interval: int) -> None:
    """Scan every ``interval`` seconds until cancelled."""
    plugins = load_plugins(settings)
    celery = create_celery(settings, plugins)
    store = Store(connect(settings), settings)
    try:
        while True:
            try:
                started = await refresh_due(store, plugins, celery, time.time())
                log.info("scan done", refreshes_asked=started)
            except ServiceUnavailable as exc:
                log.warning("scan skipped", error=str(exc))
            await asyncio.sleep(interval)
    finally:
        await store.close()
