"""A stampede: many clients at once ask for the same cold (type, user); one refresh serves all.

Also checks the LLM stand-in's fault-injection control that the other fault tests rely on.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from portal_engine.demo.standins import create_standins_app
from tests.e2e.processes import (
    api_server,
    dining_worker,
    engine_env,
    purge_queue,
    standins,
)
from tests.e2e.walk import poll_status

pytestmark = pytest.mark.e2e

REQUESTS = 200
CONCURRENCY = 100


async def _stampede(base: str, user_id: str) -> list[tuple[int, dict[str, Any], float]]:
    """``REQUESTS`` GETs of one cold set, ``CONCURRENCY`` at a time; (status, body, seconds)."""
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def one() -> tuple[int, dict[str, Any], float]:
            async with gate:
                started = time.monotonic()
                response = await client.get(
                    "/api/v1/recommendations/dining", params={"user_id": user_id}
                )
                return response.status_code, response.json(), time.monotonic() - started

        return await asyncio.gather(*(one() for _ in range(REQUESTS)))


@pytest.mark.parametrize("llm_delay", [0.0, 1.0], ids=["fast-llm", "slow-llm"])
def test_stampede_on_a_cold_set_starts_one_refresh(
    tmp_path: Path, redis_url: str, broker_url: str, namespace: str, llm_delay: float
) -> None:
    """200 concurrent cold reads get one task id (or the set), and the LLM is called once."""
    purge_queue(broker_url)
    users = ["user-11", "user-12", "user-13"]  # rounds: one stampede can miss a race
    with standins(tmp_path) as services:
        services.llm(delay=llm_delay)
        # Not what this test is about: 3 x 200 reads from one address exceed the default limit.
        env = engine_env(
            services, redis_url, broker_url, namespace, PORTAL_RATE_LIMIT="100000/minute"
        )
        rounds: list[tuple[Counter[int], set[str], int, float, list[float]]] = []
        with (
            api_server(env, tmp_path / "api.log") as base,
            dining_worker(env, tmp_path / "worker.log"),
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            for user in users:
                calls_before = services.llm_calls()
                started = time.monotonic()
                results = asyncio.run(_stampede(base, user))
                elapsed = time.monotonic() - started
                accepted = [body for code, body, _ in results if code == 202]
                assert accepted, "the first read of a cold set is a 202"
                status = poll_status(client, accepted[0]["status_url"])
                assert status["state"] == "success", status
                final = client.get("/api/v1/recommendations/dining", params={"user_id": user})
                assert final.status_code == 200, final.text
                rounds.append(
                    (
                        Counter(code for code, _, _ in results),
                        {body["task_id"] for body in accepted},
                        services.llm_calls() - calls_before,
                        elapsed,
                        sorted(seconds for _, _, seconds in results),
                    )
                )
    store = redis.Redis.from_url(redis_url)
    try:
        set_keys = list(store.scan_iter(match=f"{namespace}:set:dining:*"))
    finally:
        store.close()
    for codes, task_ids, calls, elapsed, latencies in rounds:
        print(
            f"\nstampede (LLM delay {llm_delay}s): {REQUESTS} GETs ({CONCURRENCY} at a time) in "
            f"{elapsed:.2f}s: {codes[202]}x202 {codes[200]}x200, task ids={len(task_ids)}, "
            f"LLM calls={calls}; latency median {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms"
        )
    for codes, task_ids, calls, _, _ in rounds:
        assert set(codes) <= {200, 202}, codes
        assert len(task_ids) == 1, f"{len(task_ids)} refreshes started: {task_ids}"
        assert calls == 1, f"the LLM was called {calls} times"
    assert len(set_keys) == len(users)


async def test_llm_standin_fault_control() -> None:
    """The LLM stand-in's _control injects a delay and failures, and reports calls in flight."""
    client = create_standins_app().test_client()
    control = "/prefetch/_control"
    assert await (await client.get(control)).get_json() == {
        "delay": 0.0,
        "fail_next": 0,
        "fail_status": 500,
        "in_flight": 0,
        "chat_completions": 0,
    }
    assert (await client.post(control, json={"delay": -1})).status_code == 400
    assert (await client.post(control, json={"fail_next": "x"})).status_code == 400
    assert (await client.post(control, json={"bogus": 1})).status_code == 400
    await client.post(control, json={"fail_next": 1, "fail_status": 503, "delay": 30})
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    call = asyncio.ensure_future(client.post("/prefetch/v1/chat/completions", json=body))
    for _ in range(100):
        if (await (await client.get(control)).get_json())["in_flight"] == 1:
            break
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await client.post(control, json={"delay": 0})  # releases the waiting call
    failed = await call
    assert time.monotonic() - started < 2
    assert failed.status_code == 503
    assert (await failed.get_json())["error"]["type"] == "server_error"
    state = await (await client.get(control)).get_json()
    assert state["in_flight"] == 0 and state["fail_next"] == 0
    assert state["chat_completions"] == 1
    assert (await client.post("/prefetch/v1/chat/completions", json=body)).status_code == 400
