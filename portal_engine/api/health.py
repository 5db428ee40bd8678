"""``/api/v1/health``: dependency checks, readiness (503 when a dependency is down), liveness."""

from __future__ import annotations

import asyncio
import contextlib

from kombu.connection import Connection
from quart import Blueprint
from quart_schema import document_response, validate_response

from portal_engine import __version__
from portal_engine.api.schemas import Check, Health, Live, SchemaResponse
from portal_engine.api.state import ApiState, state

bp = Blueprint("health", __name__, url_prefix="/health")


async def _redis(api: ApiState) -> Check:
    if api.store is None:
        return Check(False, "not open yet")
    try:
        await asyncio.wait_for(api.store.ping(), timeout=2.0)
    except Exception as exc:
        return Check(False, f"unreachable: {type(exc).__name__}")
    return Check(True, "embedded" if api.settings.redis_url is None else "ok")


def _broker_blocking(api: ApiState) -> tuple[Check, Check]:
    """The broker's check, and the workers' one: which type queues have nobody consuming."""
    if api.settings.broker_url is None:
        return Check(True, "embedded"), Check(True, "embedded worker")
    idle: list[str] = []
    try:
        with api.celery.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                timeout=api.settings.broker_timeout,
            )
            for queue in sorted({t.queue for t in api.plugins.types.values()}):
                if _consumers(conn, queue) == 0:
                    idle.append(queue)
    except Exception as exc:
        return Check(False, f"unreachable: {type(exc).__name__}"), Check(False, "unknown")
    # A type whose queue nobody consumes answers 202 forever: say which worker to start.
    workers = Check(
        not idle,
        f"no worker consumes {', '.join(idle)}; start `portal-engine worker --type ...`"
        if idle
        else "every type's queue has a worker",
    )
    return Check(True, "ok"), workers


def _consumers(conn: Connection, queue: str) -> int:
    # A passive declare reads the queue's consumer count; an undeclared queue has none.
    channel = conn.channel()
    try:
        return int(channel.queue_declare(queue=queue, passive=True).consumer_count)
    except Exception:
        return 0
    finally:
        with contextlib.suppress(Exception):
            channel.close()


async def _checks(api: ApiState) -> dict[str, Check]:
    redis_check, (broker_check, workers) = await asyncio.gather(
        _redis(api), asyncio.to_thread(_broker_blocking, api)
    )
    failed = [f"{r.distribution}: {r.error}" for r in api.plugins.errors]
    if not api.plugins.types:
        failed.append("no recommendation type is installed (see `portal-engine plugins`)")
    plugins = Check(not failed, "; ".join(failed) or f"{len(api.plugins.types)} types")
    return {"redis": redis_check, "broker": broker_check, "workers": workers, "plugins": plugins}


@bp.get("/", strict_slashes=False)
@validate_response(Health, 200)
async def health() -> Health:
    """Every dependency's state; always 200, ``status`` says ``ok`` or ``degraded``."""
    checks = await _checks(state())
    status = "ok" if all(c.ok for c in checks.values()) else "degraded"
    return Health(status=status, version=__version__, checks=checks)


@bp.get("/ready")
@validate_response(Health, 200)
@validate_response(Health, 503)
async def ready() -> SchemaResponse:
    """200 when Redis and the broker answer, else 503: whether to send this process traffic."""
    checks = await _checks(state())
    ok = checks["redis"].ok and checks["broker"].ok
    return Health("ready" if ok else "unavailable", __version__, checks), 200 if ok else 503


@bp.get("/live")
@document_response(Live, 200)
async def live() -> dict[str, str]:
    """200 while the process serves requests; needs no dependency."""
    return {"status": "alive"}
