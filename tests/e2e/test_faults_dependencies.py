"""Redis and RabbitMQ going away and coming back, and production start-up without them.

The API and the worker reach Redis or RabbitMQ through a :class:`TcpProxy` the test cuts and
restores; the shared servers themselves are never touched.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.processes import (
    ENGINE,
    api_server,
    clean_env,
    dining_worker,
    engine_env,
    free_port,
    purge_queue,
    standins,
    wait_until,
)
from tests.e2e.proxy import Mode, TcpProxy
from tests.e2e.walk import poll_status

pytestmark = pytest.mark.e2e

DINING = "/api/v1/recommendations/dining"
API_KEY = "fault-tests-api-key-0123456789"


def _via(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()


def _target(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


class Recorder:
    """Sends requests to the API and remembers every status code and how long each took."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.codes: Counter[int] = Counter()
        self.bodies_500: list[str] = []
        self.calls: list[str] = []

    def send(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = self.client.request(method, path, **kwargs)
        elapsed = time.monotonic() - started
        self.codes[response.status_code] += 1
        self.calls.append(f"{method} {path.split('?')[0]} {response.status_code} {elapsed:.2f}s")
        if response.status_code >= 500 and response.status_code != 503:
            self.bodies_500.append(f"{method} {path}: {response.text}")
        return response, elapsed


def _assert_503(response: httpx.Response, names: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert any(name in body["error"] for name in names.split("|")), body
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_redis_outage_answers_503_and_recovers_by_itself(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str, mode: Mode
) -> None:
    """With Redis cut off the API answers JSON 503s (live stays 200) and recovers by itself."""
    purge_queue(broker_url)
    warm, cold = "user-12", "user-13"
    parts = urlsplit(redis_url)
    with TcpProxy(*_target(redis_url, 6379)) as proxy, standins(tmp_path) as services:
        proxied = parts._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        env = engine_env(services, proxied, broker_url, namespace)
        with (
            api_server(env, tmp_path / "api.log") as base,
            dining_worker(env, tmp_path / "worker.log"),
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            api = Recorder(client)
            first, _ = api.send("GET", DINING, params={"user_id": warm})
            assert poll_status(client, first.json()["status_url"])["state"] == "success"
            assert api.send("GET", DINING, params={"user_id": warm})[0].status_code == 200

            proxy.cut(mode)
            read, read_s = api.send("GET", DINING, params={"user_id": warm})
            _assert_503(read, "Redis")
            ready, ready_s = api.send("GET", "/api/v1/health/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["redis"]["ok"] is False
            live, live_s = api.send("GET", "/api/v1/health/live")
            assert live.status_code == 200
            others: tuple[tuple[str, str, dict[str, Any]], ...] = (
                ("GET", DINING, {"params": {"user_id": cold}}),
                ("POST", f"/api/v1/recommendations/refresh/{cold}", {"json": {}}),
                ("GET", first.json()["status_url"], {}),
                ("GET", "/api/v1/notifications/", {"params": {"user_id": warm}}),
            )
            # A silent Redis costs each request its timeouts: check the other endpoints once.
            for method, path, kwargs in others if mode == "refuse" else ():
                response, _ = api.send(method, path, **kwargs)
                _assert_503(response, "Redis")

            proxy.restore()
            restored = time.monotonic()
            wait_until(
                lambda: api.send("GET", DINING, params={"user_id": warm})[0].status_code == 200,
                30,
                "the API reading Redis again",
                interval=0.1,
            )
            recovered = time.monotonic() - restored
            assert api.send("GET", "/api/v1/health/ready")[0].status_code == 200
            again, _ = api.send("GET", DINING, params={"user_id": cold})
            assert again.status_code == 202, again.text
            assert poll_status(client, again.json()["status_url"])["state"] == "success"
            worker_back = time.monotonic() - restored
    assert api.bodies_500 == [], api.bodies_500
    print(
        f"\nRedis down ({mode}): GET answered 503 in {read_s:.2f}s, /health/ready 503 in "
        f"{ready_s:.2f}s, /health/live 200 in {live_s * 1000:.0f} ms; after restore the API "
        f"served 200 again in {recovered:.2f}s and the worker finished a new refresh "
        f"{worker_back:.2f}s after it; codes seen: {dict(sorted(api.codes.items()))}"
    )


def test_redis_lost_while_a_task_stores_its_set_does_not_strand_the_user(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str
) -> None:
    """A task that cannot store its set because Redis went away is retried once Redis is back."""
    purge_queue(broker_url)
    user = "user-16"
    parts = urlsplit(redis_url)
    with TcpProxy(*_target(redis_url, 6379)) as proxy, standins(tmp_path) as services:
        services.llm(delay=2)
        proxied = parts._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        env = engine_env(services, proxied, broker_url, namespace)
        log = tmp_path / "worker.log"
        with (
            api_server(env, tmp_path / "api.log") as base,
            dining_worker(env, log),
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            first = client.get(DINING, params={"user_id": user})
            assert first.status_code == 202, first.text
            ref = first.json()
            wait_until(lambda: services.llm_state()["in_flight"] == 1, 20, "the LLM call")
            proxy.cut()
            cut = time.monotonic()
            services.llm(delay=0)  # the LLM answers now, and the worker cannot store the set
            wait_until(lambda: services.llm_state()["in_flight"] == 0, 10, "the LLM answer")
            # Longer than the Redis client's own retries, so the task cannot record anything.
            time.sleep(4.0)
            proxy.restore()
            restored = time.monotonic()
            seen: Counter[str] = Counter()

            def served() -> bool:
                response = client.get(DINING, params={"user_id": user})
                seen[str(response.status_code)] += 1
                return response.status_code == 200

            wait_until(served, 30, f"a set for {user} after Redis came back", interval=0.2)
            back = time.monotonic() - restored
            status = client.get(ref["status_url"]).json()
        calls = services.llm_calls()
    print(
        f"\nRedis lost while storing: down {restored - cut:.1f}s; after restore the user had a "
        f"set in {back:.2f}s; task {status['state']} ({status.get('error')}); LLM calls={calls}; "
        f"reads during recovery: {dict(seen)}"
    )
    assert status["state"] == "success", status
    assert "Redis unavailable, refresh retried" in log.read_text()


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_broker_outage_answers_503_fast_and_recovers_by_itself(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str, mode: Mode
) -> None:
    """With RabbitMQ cut off refreshes answer 503 within the broker timeout; both sides recover."""
    purge_queue(broker_url)
    warm, cold = "user-14", "user-15"
    timeout = 2.0
    refresh = {"types": ["dining"], "force": True}
    with TcpProxy(*_target(broker_url, 5672)) as proxy, standins(tmp_path) as services:
        env = engine_env(
            services,
            redis_url,
            _via(broker_url, proxy.port),
            namespace,
            PORTAL_BROKER_TIMEOUT=str(timeout),
        )
        worker_log = tmp_path / "worker.log"
        with (
            api_server(env, tmp_path / "api.log") as base,
            dining_worker(env, worker_log),
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            api = Recorder(client)
            first, _ = api.send("POST", f"/api/v1/recommendations/refresh/{warm}", json=refresh)
            assert first.status_code == 202, first.text
            assert poll_status(client, first.json()["tasks"][0]["status_url"])["state"] == "success"

            proxy.cut(mode)
            cut = time.monotonic()
            posted, post_s = api.send(
                "POST", f"/api/v1/recommendations/refresh/{cold}", json=refresh
            )
            _assert_503(posted, "broker|queue")
            posted_again, again_s = api.send(
                "POST", f"/api/v1/recommendations/refresh/{cold}", json=refresh
            )
            _assert_503(posted_again, "broker|queue")
            ready, ready_s = api.send("GET", "/api/v1/health/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["broker"]["ok"] is False
            cached, _ = api.send("GET", DINING, params={"user_id": warm})
            assert cached.status_code == 200, "a cached set needs no broker"
            cold_read, cold_s = api.send("GET", DINING, params={"user_id": cold})
            _assert_503(cold_read, "broker|queue")
            down_for = time.monotonic() - cut

            proxy.restore()
            restored = time.monotonic()
            refs: list[dict[str, Any]] = []

            def queued() -> bool:
                response, _ = api.send(
                    "POST", f"/api/v1/recommendations/refresh/{cold}", json=refresh
                )
                if response.status_code == 202:
                    refs.extend(response.json()["tasks"])
                return bool(refs)

            wait_until(queued, 30, "a refresh queued again", interval=0.2)
            requeued = time.monotonic() - restored
            status = poll_status(client, refs[0]["status_url"])
            done = time.monotonic() - restored
    assert status["state"] == "success", status
    assert api.bodies_500 == [], api.bodies_500
    # Each publish try waits at most the broker timeout, and there is one retry.
    assert max(post_s, again_s, cold_s, ready_s) < timeout * 2 + 1, (post_s, again_s, cold_s)
    print(
        f"\nbroker down ({mode}, {down_for:.1f}s, PORTAL_BROKER_TIMEOUT={timeout}): POST "
        f"refresh 503 in {post_s:.2f}s then {again_s:.2f}s, cold GET 503 in {cold_s:.2f}s, "
        f"/health/ready 503 in {ready_s:.2f}s, cached GET 200; after restore a refresh was "
        f"queued in {requeued:.2f}s and the worker (reconnected by itself) finished it "
        f"{done:.2f}s after the restore; codes seen: {dict(sorted(api.codes.items()))}"
    )


def _closed_port_url(url: str) -> str:
    return _via(url, free_port())


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize(
    ("dependency", "mode"),
    [
        ("PORTAL_REDIS_URL", "refuse"),
        ("PORTAL_BROKER_URL", "refuse"),
        ("PORTAL_REDIS_URL", "blackhole"),
        ("PORTAL_BROKER_URL", "blackhole"),
    ],
)
def test_production_start_fails_fast_without_a_dependency(
    redis_url: str, broker_url: str, command: str, dependency: str, mode: Mode
) -> None:
    """Production start-up with Redis or the broker unreachable exits non-zero, naming it."""
    urls = {"PORTAL_REDIS_URL": redis_url, "PORTAL_BROKER_URL": broker_url}
    default_port = 6379 if dependency == "PORTAL_REDIS_URL" else 5672
    with TcpProxy(*_target(urls[dependency], default_port)) as proxy:
        # refuse: nothing listens on the port; blackhole: it accepts and then never answers.
        proxy.cut(mode)
        urls[dependency] = _via(urls[dependency], proxy.port)
        env = clean_env(
            **urls,
            PORTAL_ENVIRONMENT="production",
            PORTAL_API_KEYS=API_KEY,
            PORTAL_NAMESPACE="fault-startup",
        )
        args = ["--port", str(free_port())] if command == "serve" else ["--type", "dining"]
        started = time.monotonic()
        try:
            done = subprocess.run(
                [*ENGINE, command, *args], env=env, capture_output=True, timeout=30, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{command} still starting after 30s: {exc.stderr!r}") from None
        elapsed = time.monotonic() - started
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode != 0, stderr
    assert dependency in stderr, stderr
    assert ":guest@" not in stderr, "the password must not be printed"
    assert elapsed < 10, f"{command} took {elapsed:.1f}s to give up"
    message = next(line for line in stderr.splitlines() if dependency in line)
    print(
        f"\n{command} with {dependency} {mode}: exit {done.returncode} after {elapsed:.2f}s: "
        f"{message[:110]}"
    )
