"""The demo's JSON logs over a whole walk: no secret in them, the request id of a request on
every line of it and of the task it started, and nothing of one task's context in another's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import ENGINE, clean_env, free_port, running, wait_http
from tests.e2e.walk import poll_status

pytestmark = pytest.mark.e2e

API_KEY = "svc-SECRET-key-0123456789"
SECRETS = {
    "PORTAL_PREFETCH_API_KEY": "sk-test-SECRET-123",
    "PORTAL_API_KEYS": API_KEY,
    "PORTAL_JWT_SECRET": "jwt-SECRET-" + "s" * 32,
}
#: Credentials a client sends that do not verify: refused, and no more logged than good ones.
WRONG_KEY = "svc-WRONG-SECRET-key-987654"
WRONG_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.WRONG-SECRET-signature"
#: Loggers that only log inside an API request.
API_LOGGERS = ("portal_engine.api", "portal_engine.refreshes")


class Demo:
    """The running demo, its HTTP client and its log, read as JSON lines."""

    def __init__(self, base: str, log: Path) -> None:
        self.http = httpx.Client(base_url=base, timeout=30, headers={"X-API-Key": API_KEY})
        self.log = log
        #: (request id, lines logged while that request was being answered), in order.
        self.windows: list[tuple[str, list[dict[str, Any]]]] = []

    def lines(self) -> list[dict[str, Any]]:
        """Every JSON line logged so far."""
        return [_parse(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def request(self, request_id: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request as ``request_id``; remember the lines logged while it was answered."""
        before = len(self.lines())
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        response = self.http.request(method, url, headers=headers, **kwargs)
        assert response.headers["X-Request-ID"] == request_id
        self.windows.append((request_id, self.lines()[before:]))
        return response

    def cold_read(self, user_id: str, request_id: str) -> str:
        """Start a refresh of ``user_id``'s dining set as ``request_id``; its task id."""
        first = self.request(
            request_id, "GET", "/api/v1/recommendations/dining", params={"user_id": user_id}
        )
        assert first.status_code == 202, first.text
        task_id: str = first.json()["task_id"]
        return task_id


def _parse(line: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = json.loads(line)
    except json.JSONDecodeError as exc:  # pragma: no cover - a broken line is the failure
        raise AssertionError(f"not a JSON log line: {line!r}") from exc
    return parsed


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo with JSON logs at DEBUG (the most there is to leak), secrets set, auth on."""
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "demo.log"
    env = clean_env(**SECRETS, PORTAL_LOG_FORMAT="json", PORTAL_LOG_LEVEL="DEBUG")
    with running([*ENGINE, "demo", "--port", str(port)], env, log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v1/health/live", log, proc)
        demo = Demo(base, log)
        yield demo
        demo.http.close()


@pytest.fixture(scope="module")
def walked(demo: Demo) -> str:
    """The walk as ``req-abc-123``: cold GET, its task to success, GET again (200); the task id.

    Every other request of the walk has an id of its own, and a wrong key and a wrong token
    are tried too, so their refusals are logged.
    """
    task_id = demo.cold_read("user-1", "req-abc-123")
    status_url = f"/api/v1/recommendations/status/{task_id}"
    assert poll_status(demo.http, status_url)["state"] == "success"
    done = demo.request("req-status-1", "GET", status_url)
    assert done.json()["state"] == "success"
    again = demo.request(
        "req-abc-124", "GET", "/api/v1/recommendations/dining", params={"user_id": "user-1"}
    )
    assert again.status_code == 200 and again.json()["source"] == "llm"
    listed = demo.request("req-notes-1", "GET", "/api/v1/notifications/?user_id=user-1")
    assert listed.json()["unread"] >= 1
    for request_id, credentials in (
        ("req-wrong-key", {"X-API-Key": WRONG_KEY}),
        ("req-wrong-token", {"Authorization": f"Bearer {WRONG_TOKEN}", "X-API-Key": ""}),
    ):
        refused = demo.request(
            request_id, "GET", "/api/v1/recommendations/types", headers=credentials
        )
        assert refused.status_code == 401
    _wait_for_logged(demo, f"Task portal_engine.refresh[{task_id}] succeeded")
    return task_id


def _wait_for_logged(demo: Demo, text: str, timeout: float = 10) -> None:
    # A task's last lines may be written just after its status says success.
    deadline = time.monotonic() + timeout
    while text not in demo.log.read_text():
        assert time.monotonic() < deadline, f"{text!r} never logged"
        time.sleep(0.05)


def test_no_secret_is_ever_logged(demo: Demo, walked: str) -> None:
    """Neither the configured secrets nor credentials a client sent appear in any log line."""
    text = demo.log.read_text()
    assert "refresh started" in text and "set stored" in text  # the log is the walk's
    for secret in [*SECRETS.values(), WRONG_KEY, WRONG_TOKEN, "WRONG-SECRET-signature"]:
        assert secret not in text, f"{secret!r} is in the log"


def test_every_api_line_carries_its_request_id(demo: Demo, walked: str) -> None:
    """Each line the API logs while answering a request carries that request's id."""
    api_lines = 0
    for request_id, lines in demo.windows:
        for line in lines:
            if line.get("logger", "").startswith(API_LOGGERS):
                api_lines += 1
                assert line.get("request_id") == request_id, (request_id, line)
    assert api_lines >= 3  # "refresh queued" and both refusals, at least
    queued = [
        line
        for _, lines in demo.windows
        for line in lines
        if line["event"] == "refresh queued" and line.get("task_id") == walked
    ]
    assert [line["request_id"] for line in queued] == ["req-abc-123"]


def test_every_line_of_the_task_carries_the_request_id(demo: Demo, walked: str) -> None:
    """Every line of the task, Celery's "received" and "succeeded" too, names the request."""
    lines = demo.lines()
    of_task = [line for line in lines if line.get("task_id") == walked]
    events = {line["event"] for line in of_task}
    assert {"refresh queued", "refresh started", "set stored"} <= events
    assert any(e.startswith("Task portal_engine.refresh") and "received" in e for e in events)
    assert any(e.startswith("Task portal_engine.refresh") and "succeeded" in e for e in events)
    for line in of_task:
        assert line.get("request_id") == "req-abc-123", line
    for line in lines:
        # Celery's consumer also mentions the task in debug lines of its own bookkeeping
        # ("TaskPool: Apply", "Task accepted"), logged before the task runs; every line at
        # INFO or above that names the task is the task's and must say so.
        if walked in line["event"] and line["level"] != "debug":
            assert line.get("task_id") == walked, line
            assert line.get("request_id") == "req-abc-123", line


def test_no_context_leaks_from_one_task_into_the_next(demo: Demo, walked: str) -> None:
    """Tasks started by different requests, together and one after another, each log only
    their own request id, whichever worker thread ran them."""
    users = [f"user-{n}" for n in range(2, 10)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        tasks = dict(
            zip(
                pool.map(lambda user: demo.cold_read(user, f"req-{user}"), users),
                (f"req-{user}" for user in users),
                strict=True,
            )
        )
    for task_id in tasks:
        status = poll_status(demo.http, f"/api/v1/recommendations/status/{task_id}")
        assert status["state"] == "success", status
    for task_id in tasks:
        _wait_for_logged(demo, f"Task portal_engine.refresh[{task_id}] succeeded")
    request_of_task = {**tasks, walked: "req-abc-123"}
    task_of_request = {request_id: task_id for task_id, request_id in request_of_task.items()}
    seen: dict[str, set[str]] = {}
    for line in demo.lines():
        task_id, request_id = line.get("task_id"), line.get("request_id")
        if task_id in request_of_task:
            seen.setdefault(task_id, set()).add(str(request_id))
            assert request_id == request_of_task[task_id], line
        if request_id in task_of_request and task_id is not None:
            assert task_id == task_of_request[request_id], line
    assert set(seen) == set(request_of_task)
