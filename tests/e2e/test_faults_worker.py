"""Faults inside the worker: killed mid-task, a task that kills every worker, a hanging LLM, and
one process serving many tasks on its one event loop.

Each test runs the real processes (stand-ins, ``portal-engine serve``, ``portal-engine worker``)
on the real Redis and RabbitMQ, injects the fault, and prints what it measured.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.processes import (
    StandIns,
    api_server,
    dining_worker,
    engine_env,
    kill_hard,
    loop_errors,
    pool_children,
    purge_queue,
    standins,
    wait_until,
)
from tests.e2e.walk import poll_status

pytestmark = pytest.mark.e2e

DINING = "/api/v1/recommendations/dining"


def _cold_get(client: httpx.Client, user_id: str) -> dict[str, Any]:
    response = client.get(DINING, params={"user_id": user_id})
    assert response.status_code == 202, response.text
    ref: dict[str, Any] = response.json()
    return ref


def _state(client: httpx.Client, ref: dict[str, Any]) -> str:
    state: str = client.get(ref["status_url"]).json()["state"]
    return state


def _set_keys(redis_url: str, namespace: str, user_id: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_url)
    try:
        return list(client.scan_iter(match=f"{namespace}:set:dining:{user_id}"))
    finally:
        client.close()


def _deliveries(redis_url: str, namespace: str, task_id: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.get(f"{namespace}:deliveries:{task_id}") or 0)
    finally:
        client.close()


def _in_flight(services: StandIns, calls: int) -> bool:
    """The LLM stand-in has received ``calls`` completions and is answering one right now."""
    state = services.llm_state()
    return bool(state["chat_completions"] >= calls and state["in_flight"] >= 1)


def test_worker_killed_mid_llm_call_is_redelivered(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str
) -> None:
    """A worker SIGKILLed during its LLM call loses nothing: the next worker finishes the task."""
    purge_queue(broker_url)
    user = "user-3"
    with standins(tmp_path) as services:
        services.llm(delay=5)
        env = engine_env(services, redis_url, broker_url, namespace)
        with (
            api_server(env, tmp_path / "api.log") as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            with dining_worker(env, tmp_path / "worker-1.log") as first:
                ref = _cold_get(client, user)
                wait_until(lambda: _in_flight(services, 1), 20, "the LLM call in flight")
                assert _state(client, ref) == "started"
                kill_hard(first)
                killed = time.monotonic()
            services.llm(delay=0)
            assert _state(client, ref) == "started"  # nothing recorded an outcome
            with dining_worker(env, tmp_path / "worker-2.log"):
                status = poll_status(client, ref["status_url"])
                recovered = time.monotonic() - killed
            assert status["state"] == "success", status
            again = client.get(DINING, params={"user_id": user})
            assert again.status_code == 200 and again.json()["source"] == "llm", again.text
        calls = services.llm_calls()
    keys = _set_keys(redis_url, namespace, user)
    deliveries = _deliveries(redis_url, namespace, ref["task_id"])
    assert calls == 2, "the LLM is asked again on the second delivery"
    assert len(keys) == 1
    assert deliveries == 2
    print(
        f"\nkill mid-LLM: success {recovered:.2f}s after the SIGKILL (a new worker started in "
        f"between); deliveries={deliveries}, LLM calls={calls}, set keys={len(keys)}"
    )


def test_task_that_kills_every_worker_stops_at_the_delivery_cap(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str
) -> None:
    """A task whose every delivery kills its worker is marked failed after the cap, not looped."""
    purge_queue(broker_url)
    cap, user = 2, "user-4"
    with standins(tmp_path) as services:
        services.llm(delay=60)  # every delivery hangs in the LLM until its worker is killed
        env = engine_env(services, redis_url, broker_url, namespace, PORTAL_MAX_DELIVERIES=str(cap))
        with (
            api_server(env, tmp_path / "api.log") as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            ref = _cold_get(client, user)
            started = time.monotonic()
            kills = 0
            # One worker per delivery; the delivery past the cap must end it without an LLM call.
            for delivery in range(1, cap + 2):
                log = tmp_path / f"worker-{delivery}.log"
                with dining_worker(env, log) as worker:
                    if delivery <= cap:
                        wait_until(
                            functools.partial(_in_flight, services, delivery),
                            20,
                            f"delivery {delivery} reaching the LLM",
                        )
                        kill_hard(worker)
                        kills += 1
                        continue
                    status = poll_status(client, ref["status_url"])
                    gave_up = time.monotonic() - started
                    services.llm(delay=0)
                    # The (type, user) is not stuck: the next read starts a fresh task that works.
                    retry = _cold_get(client, user)
                    assert retry["task_id"] != ref["task_id"]
                    assert poll_status(client, retry["status_url"])["state"] == "success"
            calls = services.llm_calls()
    deliveries = _deliveries(redis_url, namespace, ref["task_id"])
    assert status["state"] == "failure", status
    assert f"gave up after {cap} deliveries" in status["error"], status
    assert deliveries == cap + 1
    assert calls == cap + 1, "LLM calls: one per killed delivery, then one for the fresh task"
    print(
        f"\ndelivery cap: PORTAL_MAX_DELIVERIES={cap}, {kills} workers killed, delivery "
        f"{deliveries} marked the task failed {gave_up:.2f}s after the first GET "
        f"({status['error'][:40]!r}...); LLM calls={calls} (the last one the fresh task's)"
    )


def test_hanging_llm_hits_the_soft_time_limit_and_the_process_lives_on(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str
) -> None:
    """A hanging LLM call ends at the soft time limit and the same pool process serves on."""
    purge_queue(broker_url)
    limit, user = 3, "user-5"
    with standins(tmp_path) as services:
        services.llm(delay=30)
        env = engine_env(
            services,
            redis_url,
            broker_url,
            namespace,
            PORTAL_TASK_SOFT_TIME_LIMIT=str(limit),
            PORTAL_PREFETCH_TIMEOUT="60",
        )
        log = tmp_path / "worker.log"
        with (
            api_server(env, tmp_path / "api.log") as base,
            httpx.Client(base_url=base, timeout=10) as client,
            dining_worker(env, log) as worker,
        ):
            pool = pool_children(worker.pid)
            assert len(pool) == 1, pool
            started = time.monotonic()
            ref = _cold_get(client, user)
            wait_until(lambda: _in_flight(services, 1), 20, "the LLM call in flight")
            status = poll_status(client, ref["status_url"])
            stopped = time.monotonic() - started
            services.llm(delay=0)
            again = _cold_get(client, user)  # the lock was released: a new task starts
            assert again["task_id"] != ref["task_id"]
            second = poll_status(client, again["status_url"])
            served = client.get(DINING, params={"user_id": user})
            after = pool_children(worker.pid)
        calls = services.llm_calls()
    assert status["state"] == "failure", status
    assert "time limit" in status["error"] and f"{limit}s" in status["error"], status
    assert limit <= stopped < limit + 5, stopped
    assert second["state"] == "success", second
    assert served.status_code == 200 and served.json()["source"] == "llm", served.text
    assert after == pool, f"the pool process was replaced: {pool} -> {after}"
    assert calls == 2
    text = log.read_text()
    assert "Hard time limit" not in text
    assert "SoftTimeLimitExceeded" in text or "time limit" in text
    print(
        f"\nsoft time limit: {limit}s limit, failure recorded {stopped:.2f}s after the GET "
        f"({status['error'][:50]!r}...); the same pool process {sorted(pool)} then served the "
        f"next task: {second['state']}; LLM calls={calls}"
    )


def test_one_pool_process_serves_many_tasks_on_one_loop(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str
) -> None:
    """One prefork process runs tasks back to back and after an LLM retry without loop errors."""
    purge_queue(broker_url)
    users = ["user-6", "user-7", "user-8"]
    retried = "user-9"
    with standins(tmp_path) as services:
        env = engine_env(services, redis_url, broker_url, namespace, PORTAL_UPSTREAM_ATTEMPTS="3")
        log = tmp_path / "worker.log"
        timings: list[float] = []
        with (
            api_server(env, tmp_path / "api.log") as base,
            httpx.Client(base_url=base, timeout=10) as client,
            dining_worker(env, log) as worker,
        ):
            pool = pool_children(worker.pid)
            for user in [*users, retried]:
                if user == retried:
                    services.llm(fail_next=1)  # a 500 once, then answers
                started = time.monotonic()
                ref = _cold_get(client, user)
                status = poll_status(client, ref["status_url"])
                timings.append(time.monotonic() - started)
                assert status["state"] == "success", status
                served = client.get(DINING, params={"user_id": user})
                assert served.status_code == 200, served.text
                assert served.json()["source"] == "llm", "the retry reached the LLM again"
            after = pool_children(worker.pid)
        state = services.llm_state()
    assert after == pool and len(pool) == 1, (pool, after)
    assert state["chat_completions"] == len(users) + 2 and state["fail_next"] == 0
    errors = loop_errors(log.read_text())
    assert errors == [], errors
    assert log.read_text().count("refresh started") == len(users) + 1
    print(
        f"\none loop per process: pool process {sorted(pool)} ran {len(users) + 1} tasks "
        f"(cold GET to success: {', '.join(f'{t:.2f}s' for t in timings)}; the last after one "
        f"LLM 500 and a retry); LLM calls={state['chat_completions']}; loop errors in log: 0"
    )
