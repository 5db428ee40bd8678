"""Shared fixtures: the real Redis and RabbitMQ, and settings isolated per test.

Tests that need a server skip on a laptop without it, but under ``CI=true`` a missing server is
a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
import structlog
from quart.typing import TestClientProtocol

from portal_engine.api.app import create_app
from portal_engine.logs import configure_logging
from portal_engine.redis_client import connect
from portal_engine.registry import Plugins
from portal_engine.settings import Settings
from portal_engine.store import Store

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BROKER_URL = os.environ.get("PORTAL_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _need(service: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{service} is not reachable, and CI never skips a service test")
    pytest.skip(f"{service} is not reachable")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server's URL (skips, or fails under CI, when it is down)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        ok = bool(client.ping())
    except redis.RedisError:
        ok = False
    finally:
        client.close()
    _need("Redis", ok)
    return REDIS_URL


@pytest.fixture(scope="session")
def broker_url() -> str:
    """The real RabbitMQ's URL (skips, or fails under CI, when it is down)."""
    _need("RabbitMQ", _port_open("127.0.0.1", 5672))
    return BROKER_URL


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A fresh Redis namespace for one test; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{name}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_settings(redis_url: str, broker_url: str, namespace: str) -> Settings:
    """Settings on the real Redis and RabbitMQ, in a namespace of this test's own."""
    return Settings(redis_url=redis_url, broker_url=broker_url, namespace=namespace)


@pytest.fixture
async def store(redis_settings: Settings) -> AsyncIterator[Store]:
    """A :class:`Store` on the real Redis, in this test's namespace."""
    opened = Store(connect(redis_settings), redis_settings)
    yield opened
    await opened.close()


@pytest.fixture
async def embedded_store() -> AsyncIterator[Store]:
    """A :class:`Store` on the embedded in-process Redis, in a namespace of its own."""
    settings = Settings(namespace=f"test-{uuid.uuid4().hex[:12]}")
    opened = Store(connect(settings), settings)
    yield opened
    await opened.close()


StartApp = Callable[[Settings, Plugins], Awaitable[TestClientProtocol]]


@pytest.fixture
async def start_app() -> AsyncIterator[StartApp]:
    """Start an API app serving ``settings`` and ``plugins``; returns its test client.

    A test may start several (e.g. two "processes" on one Redis); all stop when it ends.
    """
    running: list[Any] = []

    async def start(settings: Settings, plugins: Plugins) -> TestClientProtocol:
        test_app = create_app(settings, plugins).test_app()
        await test_app.startup()
        running.append(test_app)
        return test_app.app.test_client()  # type: ignore[attr-defined, no-any-return]

    yield start
    for test_app in running:
        await test_app.shutdown()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged during the test, through the production logging pipeline (JSON)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_config = structlog.get_config()
    configure_logging(Settings(log_level="DEBUG", log_format="json"))
    output = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(output)
    yield output
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.configure(**saved_config)
