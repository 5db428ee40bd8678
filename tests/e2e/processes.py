"""Starting the engine's processes for end-to-end tests, and talking to them over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

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
