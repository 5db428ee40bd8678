"""A third-party plugin, as a user installs it: a wheel in a fresh venv, beside a broken plugin.

One venv serves every step (creating it is the slow part): the core installed from this
repository, the hello example as a wheel, and a plugin that raises on import. Then the real
``portal-engine`` of that venv lists them, refuses to start in strict mode, serves hello in the
demo, and scaffolds a plugin whose generated tests pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import clean_env, free_port, running, wait_http
from tests.e2e.walk import poll_status

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello-plugin"

BROKEN_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "portal-engine-broken"
version = "0.0.1"

[project.entry-points.portal_engine]
broken = "portal_engine_broken"

[tool.hatch.build.targets.wheel]
packages = ["portal_engine_broken"]
"""


def _run(
    cmd: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion; fail the test with its output unless it exits 0."""
    done = subprocess.run(
        [str(part) for part in cmd],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _broken_plugin(where: Path) -> Path:
    """A plugin package whose module raises on import."""
    (where / "portal_engine_broken").mkdir(parents=True)
    (where / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (where / "portal_engine_broken" / "__init__.py").write_text(
        'raise RuntimeError("broken on purpose")\n'
    )
    return where


def _venv_env() -> dict[str, str]:
    """The environment for the venv's commands: no PORTAL_ settings, nothing of this venv."""
    env = clean_env()
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    return env


def _check_plugins_listing(bin_dir: Path, env: dict[str, str]) -> None:
    """`plugins --json` shows hello working and the broken plugin with its error."""
    listing = json.loads(_run([bin_dir / "portal-engine", "plugins", "--json"], env=env).stdout)
    found = {row["name"]: row for row in listing["plugins"]}
    hello, broken = found["hello"], found["broken"]
    assert hello["status"] == "ok" and hello["distribution"] == "portal-engine-hello"
    assert hello["types"] == ["hello"] and hello["queues"] == ["portal.hello"]
    assert broken["status"] == "error" and broken["distribution"] == "portal-engine-broken"
    assert "RuntimeError: broken on purpose" in broken["error"]


def _check_strict_demo_refuses(bin_dir: Path, env: dict[str, str]) -> None:
    """In strict mode the demo exits at once, naming the broken plugin."""
    started = time.monotonic()
    strict = subprocess.run(
        [str(bin_dir / "portal-engine"), "demo", "--port", str(free_port())],
        env={**env, "PORTAL_STRICT_PLUGINS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert strict.returncode != 0, strict.stdout
    assert "portal-engine-broken" in strict.stderr and "broken on purpose" in strict.stderr
    assert time.monotonic() - started < 30


def _check_demo_serves_hello(bin_dir: Path, env: dict[str, str], log: Path) -> None:
    """The demo starts anyway, reports the broken plugin in health, and serves hello."""
    port = free_port()
    with running([str(bin_dir / "portal-engine"), "demo", "--port", str(port)], env, log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v1/health/live", log, proc)
        with httpx.Client(base_url=base, timeout=30) as client:
            plugins_check = client.get("/api/v1/health/").json()["checks"]["plugins"]
            assert plugins_check["ok"] is False
            assert "portal-engine-broken" in plugins_check["detail"]
            first = client.get("/api/v1/recommendations/hello", params={"user_id": "user-1"})
            assert first.status_code == 202, first.text
            status = poll_status(client, first.json()["status_url"])
            assert status["state"] == "success", status
            served = client.get("/api/v1/recommendations/hello", params={"user_id": "user-1"})
    assert served.status_code == 200, served.text
    body = served.json()
    assert body["type"] == "hello" and body["user_id"] == "user-1"
    assert body["items"] and all(item["reason"] for item in body["items"])


@pytest.mark.timeout(1200)
def test_a_third_party_plugin_installs_runs_and_scaffolds(tmp_path: Path) -> None:
    """A fresh venv with hello and a broken plugin lists, refuses, serves and scaffolds."""
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, HELLO])
    (hello_wheel,) = wheels.glob("portal_engine_hello-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv])
    bin_dir = venv / "bin"
    pip: list[str | Path] = [bin_dir / "python", "-m", "pip", "install", "--quiet"]
    _run([*pip, ROOT, hello_wheel, _broken_plugin(tmp_path / "broken")])
    env = _venv_env()

    _check_plugins_listing(bin_dir, env)
    _check_strict_demo_refuses(bin_dir, env)
    _check_demo_serves_hello(bin_dir, env, tmp_path / "demo.log")

    made = tmp_path / "made"
    _run([bin_dir / "portal-engine", "new-plugin", "sample", "--dir", made], env=env)
    sample = made / "portal-engine-sample"
    _run([*pip, "-e", sample, "pytest", "pytest-asyncio", "pytest-httpx"])
    tests = _run([bin_dir / "pytest", "-q", "-p", "no:cacheprovider"], env=env, cwd=sample)
    assert "5 passed" in tests.stdout
    # hello's own tests, run against the installed wheel rather than the source folder.
    tests = _run([bin_dir / "pytest", "-q", "-p", "no:cacheprovider", "tests"], env=env, cwd=HELLO)
    assert "passed" in tests.stdout and "failed" not in tests.stdout
