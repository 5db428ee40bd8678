"""The demo in one process, on embedded defaults: the main job, walked over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import ENGINE, clean_env, free_port, running, wait_http
from tests.e2e.walk import walk

pytestmark = pytest.mark.e2e


def test_demo_does_the_main_job(tmp_path: Path) -> None:
    """`portal-engine demo` answers the whole walk with no Redis, broker or service installed."""
    port = free_port()
    log = tmp_path / "demo.log"
    with running([*ENGINE, "demo", "--port", str(port)], clean_env(), log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v1/health/live", log, proc)
        assert "/api/v1/recommendations/dining?user_id=user-1" in log.read_text()
        health = httpx.get(f"{base}/api/v1/health/").json()
        assert health["checks"]["redis"]["detail"] == "embedded"
        elapsed = walk(base, f"{base}/standins/user-profile")
    print(f"embedded: cold GET to 200 in {elapsed:.2f}s")
