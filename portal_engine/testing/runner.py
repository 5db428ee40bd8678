"""Running one type's pipeline for one user in a test, without a broker or a worker."""

from __future__ import annotations

import uuid

import attrs
import httpx

from portal_engine import pipeline
from portal_engine.models import RecommendationSet
from portal_engine.redis_client import connect
from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings
from portal_engine.store import Store

#: Settings whose upstream URLs tests answer with :class:`~portal_engine.testing.Upstreams`.
TEST_SETTINGS = Settings(
    user_profile_url="http://profile.test",
    lie_url="http://lie.test",
    cis_url="http://cis.test",
    prefetch_url="http://llm.test",
    prefetch_model="test-model",
    upstream_attempts=1,
)


async def run_type(
    type_name: str,
    user_id: str,
    *,
    plugins: Plugins | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RecommendationSet:
    """Run the whole refresh pipeline of ``type_name`` for ``user_id`` and return the set.

    Upstream calls go through a real ``httpx.AsyncClient``, so pytest-httpx (or a live
    service) answers them. The set is stored in ``store`` (by default a fresh namespace of the
    embedded store), exactly as a worker would store it. ``transport`` routes the calls
    elsewhere, e.g. ``httpx.ASGITransport(app=create_standins_app())`` for the demo's data.

    Raises:
        LookupError: no installed plugin provides ``type_name``.
        PipelineError: the pipeline failed (e.g. an upstream answered 404).
    """
    settings = settings or TEST_SETTINGS
    plugins = plugins or load_plugins(strict=True)
    rtype = plugins.get(type_name)
    if rtype is None:
        raise LookupError(f"no plugin provides type {type_name!r}; known: {sorted(plugins.types)}")
    own_store = store is None
    if store is None:
        scoped = attrs.evolve(settings, namespace=f"test-{uuid.uuid4().hex[:8]}")
        store = Store(connect(scoped), scoped)
    try:
        async with httpx.AsyncClient(
            timeout=settings.upstream_timeout, transport=transport
        ) as client:
            deps = pipeline.Deps(settings, plugins, store, client)
            return await pipeline.refresh(deps, rtype, user_id)
    finally:
        if own_store:
            await store.close()
