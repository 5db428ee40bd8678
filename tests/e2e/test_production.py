"""The production topology: API, worker and stand-ins as separate processes on the real
Redis and RabbitMQ, the task travelling over the durable queue ``portal.dining``."""

from __future__ import annotations

import importlib.util
import os
import uuid
from contextlib import suppress
from pathlib import Path

import amqp
import httpx
import pytest
import redis
from kombu import Connection

from tests.e2e.processes import (
    CELERY,
    ENGINE,
    clean_env,
    free_port,
    running,
    wait_for_log,
    wait_http,
)
from tests.e2e.walk import walk

pytestmark = pytest.mark.e2e

WORKERS = {
    "portal-engine worker": [
        *ENGINE,
        "worker",
        "--type",
        "dining",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
    ],
    "celery -A portal_engine.worker": [
        *CELERY,
        "-A",
        "portal_engine.worker",
        "worker",
        "-Q",
        "portal.dining",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
    ],
}


def _standin_settings(output: str) -> dict[str, str]:
    pairs = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    assert set(pairs) == {
        "PORTAL_USER_PROFILE_URL",
        "PORTAL_LIE_URL",
        "PORTAL_CIS_URL",
        "PORTAL_PREFETCH_URL",
    }
    return pairs


def _purge(broker_url: str) -> None:
    # A message left by an earlier run would be consumed by this run's worker.
    with Connection(broker_url) as conn, suppress(amqp.exceptions.NotFound):
        conn.default_channel.queue_purge("portal.dining")


def _assert_durable(broker_url: str) -> None:
    """Re-declaring the queue as non-durable is refused, so the existing one is durable."""
    with Connection(broker_url) as conn:
        channel = conn.channel()
        with pytest.raises(amqp.exceptions.PreconditionFailed):
            channel.queue_declare("portal.dining", durable=False, auto_delete=False)


@pytest.mark.parametrize("worker_name", list(WORKERS))
def test_production_topology_does_the_main_job(
    tmp_path: Path, redis_url: str, broker_url: str, worker_name: str
) -> None:
    """Three processes on Redis and RabbitMQ do the job; every key written has a TTL."""
    namespace = f"e2e-{uuid.uuid4().hex[:10]}"
    _purge(broker_url)
    si_port, api_port = free_port(), free_port()
    si_log, api_log, worker_log = (tmp_path / n for n in ("si.log", "api.log", "worker.log"))
    with running(
        [*ENGINE, "demo", "--services-only", "--port", str(si_port)], clean_env(), si_log
    ) as standins:
        wait_http(f"http://127.0.0.1:{si_port}/health", si_log, standins)
        settings = _standin_settings(si_log.read_text())
        env = clean_env(
            **settings,
            PORTAL_REDIS_URL=redis_url,
            PORTAL_BROKER_URL=broker_url,
            PORTAL_NAMESPACE=namespace,
        )
        with (
            running([*ENGINE, "serve", "--port", str(api_port)], env, api_log) as api,
            running(
                [*WORKERS[worker_name], "--hostname", f"{namespace}@%h"], env, worker_log
            ) as worker,
        ):
            base = f"http://127.0.0.1:{api_port}"
            wait_http(f"{base}/api/v1/health/live", api_log, api)
            wait_for_log(worker_log, "ready.", worker)
            elapsed = walk(base, settings["PORTAL_USER_PROFILE_URL"])
            workers = httpx.get(f"{base}/api/v1/health/").json()["checks"]["workers"]
            assert "portal.dining" not in workers["detail"]  # the dining worker is seen
            if importlib.util.find_spec("portal_engine_events") is not None:
                # events is installed but nobody consumes its queue: health says so
                assert not workers["ok"] and "portal.events" in workers["detail"]
            _assert_durable(broker_url)
            assert "portal_engine.refresh" in worker_log.read_text()

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        assert any(b":set:dining:" in k for k in keys)
        without_ttl = [k for k in keys if client.ttl(k) < 0]
        assert without_ttl == []
        client.delete(*keys)
    finally:
        client.close()
    print(f"{worker_name}: cold GET to 200 in {elapsed:.2f}s")


def test_a_worker_for_one_type_consumes_only_its_queue(
    tmp_path: Path, redis_url: str, broker_url: str
) -> None:
    """`worker --type events` consumes portal.events only, though dining is installed too."""
    if importlib.util.find_spec("portal_engine_events") is None:
        if os.environ.get("CI"):
            pytest.fail("the core env must install the events plugin (see tox.ini)")
        pytest.skip("needs the events plugin installed")
    env = clean_env(
        PORTAL_REDIS_URL=redis_url,
        PORTAL_BROKER_URL=broker_url,
        PORTAL_NAMESPACE=f"e2e-{uuid.uuid4().hex[:10]}",
    )
    log = tmp_path / "worker.log"
    command = [
        *ENGINE,
        "worker",
        "--type",
        "events",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--hostname",
        f"events-{uuid.uuid4().hex[:6]}@%h",
    ]
    with running(command, env, log) as worker:
        wait_for_log(log, "ready.", worker)
    text = log.read_text()
    queues = text[text.index("[queues]") :]
    assert ".> portal.events" in queues
    assert "portal.dining" not in queues
