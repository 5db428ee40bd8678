"""The pytest plugin that comes with ``portal-engine`` (entry point ``pytest11``).

Fixtures for testing a recommendation type (they need pytest-httpx and pytest-asyncio):

* ``portal_settings``: settings whose upstreams are test URLs answered by ``upstreams``;
* ``portal_plugins``: every installed plugin, loaded strictly (a broken one fails the test);
* ``upstreams``: an :class:`~portal_engine.testing.Upstreams` on pytest-httpx's ``httpx_mock``;
* ``portal_app`` / ``portal_client``: the API, serving on the embedded store, and its client.

Example::

    async def test_dining_falls_back(upstreams, portal_plugins):
        upstreams.profile("u1", {...}); upstreams.llm_text("not json")
        result = await run_type("dining", "u1", plugins=portal_plugins)
        assert result.source == "fallback"
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

import attrs
import pytest
from quart.testing.app import TestApp

from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings
from portal_engine.testing.runner import TEST_SETTINGS
from portal_engine.testing.upstreams import Upstreams

if TYPE_CHECKING:
    from pytest_httpx import HTTPXMock


@pytest.fixture
def portal_settings() -> Settings:
    """Embedded-mode settings with test upstream URLs and a namespace of this test's own."""
    return attrs.evolve(TEST_SETTINGS, namespace=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def portal_plugins() -> Plugins:
    """Every installed plugin, loaded strictly: a plugin that fails to load fails the test."""
    return load_plugins(strict=True)


@pytest.fixture
def upstreams(httpx_mock: HTTPXMock, portal_settings: Settings) -> Upstreams:
    """Canned answers for the profile, LIE, CIS and LLM services of ``portal_settings``."""
    return Upstreams(httpx_mock, portal_settings)


@pytest.fixture
async def portal_app(portal_settings: Settings, portal_plugins: Plugins) -> AsyncIterator[Any]:
    """The API app, serving (embedded store, queue and worker) for the test's duration."""
    from portal_engine.api.app import create_app

    app = create_app(portal_settings, portal_plugins)
    async with app.test_app() as test_app:
        yield cast(TestApp, test_app).app


@pytest.fixture
def portal_client(portal_app: Any) -> Any:
    """A Quart test client of ``portal_app``."""
    return portal_app.test_client()
