"""Starting the engine's processes for end-to-end tests, and talking to them over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import amqp
import httpx
from kombu.connection import Connection

ENGINE = [sys.executable, "-m", "portal_engine"]
CELERY = [sys.executable, "-m", "celery"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without any PORTAL_ or seed setting, plus ``overrides``."""
    seed = {"REDIS_HOST", "REDIS_PORT", "REDIS_NAMESPACE", "CELERY_BROKER_URL"}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PORTAL_") and k not in seed and not k.endswith("_SERVICE_URL")
    }
    env.update(overrides)
    env.setdefault("PORTAL_ENV_FILE", "/nonexistent/.env")
    return env


@contextmanager
def running(
    cmd: Sequence[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` for the duration of the block; SIGTERM (then SIGKILL) it afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop ``proc`` and its children."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_http(url: str, log: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until ``url`` answers at all; fail with the process log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {timeout}s:\n{log.read_text()[-4000:]}")


def wait_for_log(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until ``text`` appears in the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged in {timeout}s:\n{log.read_text()[-4000:]}")


# -- helpers for the fault-injection tests ---------------------------------------------------

#: Lines in a log that mean a worker's event loop or a client bound to it went wrong.
LOOP_ERRORS = (
    "Event loop is closed",
    "attached to a different loop",
    "Task was destroyed but it is pending",
    "Traceback (most recent call last)",
)


def worker_command(*extra: str, hostname: str | None = None) -> list[str]:
    """``portal-engine worker`` for dining: one prefork process, fast start, INFO logs."""
    name = hostname or f"fault-{uuid.uuid4().hex[:8]}"
    return [
        *ENGINE,
        "worker",
        "--type",
        "dining",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{name}@%h",
        # Nothing to sync with other workers; starting faster keeps the fault tests short.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        *extra,
    ]


@dataclass
class StandIns:
    """The stand-in services of one test, with the LLM stand-in's fault controls."""

    base: str
    settings: dict[str, str]

    @property
    def prefetch(self) -> str:
        """The LLM stand-in's base URL."""
        return self.settings["PORTAL_PREFETCH_URL"]

    def llm(self, **control: float) -> dict[str, Any]:
        """Set the LLM stand-in's faults (``delay``, ``fail_next``, ``fail_status``)."""
        response = httpx.post(f"{self.prefetch}/_control", json=control, timeout=5)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def llm_state(self) -> dict[str, Any]:
        """The LLM stand-in's faults, calls in flight and calls received."""
        body: dict[str, Any] = httpx.get(f"{self.prefetch}/_control", timeout=5).json()
        return body

    def llm_calls(self) -> int:
        """Chat completions the LLM stand-in received."""
        return int(self.llm_state()["chat_completions"])


@contextmanager
def standins(tmp_path: Path) -> Iterator[StandIns]:
    """Run ``portal-engine demo --services-only`` on a free port for the block."""
    port = free_port()
    log = tmp_path / "standins.log"
    with running(
        [*ENGINE, "demo", "--services-only", "--port", str(port)], clean_env(), log
    ) as proc:
        wait_http(f"http://127.0.0.1:{port}/health", log, proc)
        lines = log.read_text().splitlines()
        settings = dict(line.split("=", 1) for line in lines if line.startswith("PORTAL_"))
        yield StandIns(f"http://127.0.0.1:{port}", settings)


def engine_env(
    services: StandIns, redis_url: str, broker_url: str, namespace: str, **extra: str
) -> dict[str, str]:
    """The environment of an API or worker on ``services``, Redis and the broker."""
    return clean_env(
        **services.settings,
        PORTAL_REDIS_URL=redis_url,
        PORTAL_BROKER_URL=broker_url,
        PORTAL_NAMESPACE=namespace,
        **extra,
    )


@contextmanager
def api_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """Run ``portal-engine serve`` for the block; yields its base URL once it answers."""
    port = free_port()
    with running([*ENGINE, "serve", "--port", str(port)], env, log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v1/health/live", log, proc)
        yield base


@contextmanager
def dining_worker(env: dict[str, str], log: Path, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a dining worker (:func:`worker_command`) for the block, from when it is ready."""
    with running(worker_command(*extra), env, log) as proc:
        wait_for_log(log, "ready.", proc)
        yield proc


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` and its children (a prefork worker's pool) and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def pool_children(pid: int) -> set[int]:
    """The pids of ``pid``'s child processes (a prefork worker's pool)."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            children.update(int(c) for c in (task / "children").read_text().split())
    return children


def wait_until(
    predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> float:
    """Wait until ``predicate()`` is true; return the seconds it took, fail after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s: {what}")


def purge_queue(broker_url: str, queue: str = "portal.dining") -> None:
    """Drop what an earlier run left in ``queue``, or this run's worker would consume it."""
    with Connection(broker_url) as conn, suppress(amqp.exceptions.NotFound):
        conn.default_channel.queue_purge(queue)


def loop_errors(text: str) -> list[str]:
    """The lines of a log that show event-loop trouble (see :data:`LOOP_ERRORS`)."""
    return [line for line in text.splitlines() if any(e in line for e in LOOP_ERRORS)]
