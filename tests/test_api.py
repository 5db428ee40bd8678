"""The REST API in embedded mode: every endpoint, its validation and its JSON errors."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from portal_engine import (
    Item,
)
from portal_engine.api.app import create_app
from portal_engine.api.state import ApiState
from portal_engine.models import RecommendationSet, utcnow
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from tests.fakes import FakeTypes


@pytest.fixture
async def app() -> AsyncIterator[Quart]:
    """The API on embedded defaults with two test types, serving (worker thread included)."""
    settings = Settings(
        namespace=f"apitest-{uuid.uuid4().hex[:8]}",
        max_body_bytes=1024,
        upstream_attempts=1,
        prefetch_url="http://127.0.0.1:9/prefetch",
    )
    plugins = load_plugins(only=(), extra=[("testplugin", FakeTypes("alpha", "beta"))])
    quart_app = create_app(settings, plugins)
    async with quart_app.test_app() as test_app:
        yield test_app.app  # type: ignore[misc]


@pytest.fixture
def client(app: Quart) -> TestClientProtocol:
    """A test client of the serving app."""
    return app.test_client()


def _state(app: Quart) -> ApiState:
    value: ApiState = app.extensions["portal_engine"]
    return value


async def _put_set(
    app: Quart, type_name: str, user_id: str, *, age: int = 0, version: str | None = None
) -> RecommendationSet:
    """Store a set made ``age`` seconds ago (fresh for 600 s) by ``version`` of the type."""
    rtype = _state(app).plugins.types[type_name]
    made = utcnow() - timedelta(seconds=age)
    rset = RecommendationSet(
        type_name,
        user_id,
        [Item("c1", "One", 0.9, "why")],
        made,
        made + timedelta(seconds=600),
        "llm",
        version=rtype.fingerprint if version is None else version,
    )
    assert _state(app).store is not None
    await _state(app).store.put_set(rset, 600)  # type: ignore[union-attr]
    return rset


async def _put_fresh_set(app: Quart, type_name: str, user_id: str) -> RecommendationSet:
    return await _put_set(app, type_name, user_id)


async def test_types_lists_every_type_with_owner(client: TestClientProtocol) -> None:
    """GET /types lists each type with description, queue, TTL, plugin and version."""
    response = await client.get("/api/v1/recommendations/types")
    assert response.status_code == 200
    types = {t["name"]: t for t in (await response.get_json())["types"]}
    assert set(types) == {"alpha", "beta"}
    assert types["alpha"] == {
        "name": "alpha",
        "description": "alpha things",
        "queue": "portal.alpha",
        "ttl": 600,
        "plugin": "testplugin",
        "version": "",
    }


async def test_unknown_type_is_404_naming_known_types(client: TestClientProtocol) -> None:
    """An unknown type answers 404 and says which types exist."""
    response = await client.get("/api/v1/recommendations/nope?user_id=u1")
    assert response.status_code == 404
    body = await response.get_json()
    assert "alpha" in body["error"] and "beta" in body["error"]
    assert body["known_types"] == ["alpha", "beta"]


@pytest.mark.parametrize(
    "query", ["", "?user_id=", "?user_id=" + "x" * 129, "?user_id=a%00b", "?user_id=a%0Ab"]
)
async def test_bad_user_id_is_400_with_the_rule(client: TestClientProtocol, query: str) -> None:
    """A missing, empty, oversized or control-character user id is a 400 that says why."""
    response = await client.get(f"/api/v1/recommendations/alpha{query}")
    assert response.status_code == 400
    body = await response.get_json()
    assert body["status"] == 400 and "user_id" in body["error"]


async def test_cold_read_answers_202_with_a_status_url(client: TestClientProtocol) -> None:
    """A miss answers 202 with the task id, a status URL that answers, and a Location header."""
    response = await client.get("/api/v1/recommendations/alpha?user_id=u1")
    assert response.status_code == 202
    body = await response.get_json()
    assert body["status_url"] == f"/api/v1/recommendations/status/{body['task_id']}"
    assert response.headers["Location"] == body["status_url"]
    status = await client.get(body["status_url"])
    assert status.status_code == 200
    assert (await status.get_json())["state"] in ("pending", "started", "success", "failure")


async def test_concurrent_cold_reads_share_one_task(client: TestClientProtocol) -> None:
    """Many simultaneous misses for one user and type start one refresh, not many."""
    responses = await asyncio.gather(
        *(client.get("/api/v1/recommendations/beta?user_id=same") for _ in range(30))
    )
    ids = {(await r.get_json())["task_id"] for r in responses}
    assert len(ids) == 1


async def test_cached_set_is_served_with_200(app: Quart, client: TestClientProtocol) -> None:
    """A fresh cached set is served as it was stored."""
    stored = await _put_fresh_set(app, "alpha", "u:with*odd?chars")
    response = await client.get("/api/v1/recommendations/alpha?user_id=u%3Awith%2Aodd%3Fchars")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["user_id"] == stored.user_id and body["items"][0]["id"] == "c1"
    assert body["source"] == "llm" and {"generated_at", "expires_at"} <= body.keys()


async def test_delete_forgets_the_set(app: Quart, client: TestClientProtocol) -> None:
    """DELETE answers 204 and the next read is a miss."""
    await _put_fresh_set(app, "alpha", "u2")
    response = await client.delete("/api/v1/recommendations/alpha?user_id=u2")
    assert response.status_code == 204
    assert (await client.get("/api/v1/recommendations/alpha?user_id=u2")).status_code == 202


async def test_refresh_skips_fresh_types_unless_forced(
    app: Quart, client: TestClientProtocol
) -> None:
    """POST /refresh starts one task per stale type; force refreshes fresh ones too."""
    await _put_fresh_set(app, "alpha", "u3")
    response = await client.post("/api/v1/recommendations/refresh/u3", json={"force": False})
    assert response.status_code == 202
    body = await response.get_json()
    assert body["skipped"] == ["alpha"]
    assert [t["type"] for t in body["tasks"]] == ["beta"]
    forced = await client.post(
        "/api/v1/recommendations/refresh/u3", json={"force": True, "types": ["alpha"]}
    )
    assert [t["type"] for t in (await forced.get_json())["tasks"]] == ["alpha"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"force": "yes"}', 400),
        ('{"types": "alpha"}', 400),
        ("{not json", 400),
        ('{"types": ["nope"]}', 404),
        ('{"types": []}', 400),
    ],
)
async def test_refresh_rejects_bad_bodies(
    client: TestClientProtocol, body: str, status: int
) -> None:
    """Wrong types, malformed JSON and unknown types in a refresh body are clear 4xx errors."""
    response = await client.post(
        "/api/v1/recommendations/refresh/u4",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert (await response.get_json())["error"]


async def test_oversized_body_is_413(client: TestClientProtocol) -> None:
    """A body over the configured limit answers 413 in JSON."""
    big = '{"types": [' + ",".join(['"alpha"'] * 400) + "]}"
    response = await client.post(
        "/api/v1/recommendations/refresh/u5", data=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in (await response.get_json())["error"]


async def test_unknown_task_is_404(client: TestClientProtocol) -> None:
    """An unknown or malformed task id answers 404 in JSON."""
    for task_id in ("0" * 32, "not*valid"):
        response = await client.get(f"/api/v1/recommendations/status/{task_id}")
        assert response.status_code == 404
        assert "task" in (await response.get_json())["error"]


async def test_notifications_flow(app: Quart, client: TestClientProtocol) -> None:
    """A user's notifications list newest first, can be marked read and deleted, only by them."""
    store = _state(app).store
    assert store is not None
    first = await store.add_notification("n1", "k", "first", "b")
    second = await store.add_notification("n1", "k", "second", "b")
    listed = await (await client.get("/api/v1/notifications/?user_id=n1&limit=10")).get_json()
    assert [n["id"] for n in listed["notifications"]] == [second.id, first.id]
    assert listed["unread"] == 2
    other = await client.post(f"/api/v1/notifications/{first.id}/read?user_id=n2")
    assert other.status_code == 404
    read = await client.post(f"/api/v1/notifications/{first.id}/read?user_id=n1")
    assert read.status_code == 200 and (await read.get_json())["read"] is True
    listed = await (await client.get("/api/v1/notifications/?user_id=n1")).get_json()
    assert listed["unread"] == 1
    assert (await client.delete(f"/api/v1/notifications/{first.id}?user_id=n2")).status_code == 404
    assert (await client.delete(f"/api/v1/notifications/{first.id}?user_id=n1")).status_code == 204
    listed = await (await client.get("/api/v1/notifications/?user_id=n1")).get_json()
    assert [n["id"] for n in listed["notifications"]] == [second.id]


@pytest.mark.parametrize("limit", ["0", "-1", "101", "lots"])
async def test_notification_limit_is_validated(client: TestClientProtocol, limit: str) -> None:
    """A limit outside 1-100 is a 400 that names the field."""
    response = await client.get(f"/api/v1/notifications/?user_id=n1&limit={limit}")
    assert response.status_code == 400
    assert "limit" in (await response.get_json())["error"]


async def test_health_endpoints(client: TestClientProtocol) -> None:
    """Health reports each dependency; ready and live answer 200 in embedded mode."""
    health = await (await client.get("/api/v1/health/")).get_json()
    assert health["status"] == "ok"
    assert set(health["checks"]) == {"redis", "broker", "workers", "plugins"}
    assert (await client.get("/api/v1/health/ready")).status_code == 200
    assert (await client.get("/api/v1/health/live")).status_code == 200
    no_slash = await client.get("/api/v1/health")
    assert no_slash.status_code == 200 and (await no_slash.get_json())["status"] == "ok"


async def test_unknown_route_and_method_are_json(client: TestClientProtocol) -> None:
    """Unknown paths and wrong methods answer JSON errors, not HTML."""
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and "/docs" in (await missing.get_json())["error"]
    wrong = await client.put("/api/v1/recommendations/types")
    assert wrong.status_code == 405 and (await wrong.get_json())["status"] == 405


async def test_request_id_is_echoed(client: TestClientProtocol) -> None:
    """An incoming X-Request-ID is echoed back; without one a new id is made."""
    response = await client.get("/api/v1/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    fresh = await client.get("/api/v1/health/live")
    assert len(fresh.headers["X-Request-ID"]) == 32


async def test_openapi_documents_every_endpoint(app: Quart, client: TestClientProtocol) -> None:
    """/openapi.json has every API route, with response schemas; /docs and /redoc are served."""
    spec = await (await client.get("/openapi.json")).get_json()
    paths = spec["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            # Converters (<type_name:type_name>) are not part of the documented path.
            path = re.sub(r"<(?:[^:>]*:)?([^>]+)>", r"{\1}", rule.rule)
            assert path in paths, path
    read = paths["/api/v1/recommendations/{type_name}"]["get"]
    assert {"200", "202", "404"} <= set(read["responses"])
    refresh = paths["/api/v1/recommendations/refresh/{user_id}"]["post"]
    assert "requestBody" in refresh
    for page in ("/docs", "/redoc"):
        assert (await client.get(page)).status_code == 200


async def test_dismissed_item_leaves_the_set_for_good(
    app: Quart, client: TestClientProtocol
) -> None:
    """Dismissing an item removes it from the cached set and records it for future sets."""
    await _put_fresh_set(app, "alpha", "d1")
    response = await client.post(
        "/api/v1/recommendations/alpha/dismiss?user_id=d1", json={"item_id": "c1"}
    )
    assert response.status_code == 200
    assert (await response.get_json())["removed_from_cached_set"] is True
    served = await (await client.get("/api/v1/recommendations/alpha?user_id=d1")).get_json()
    assert served["items"] == []
    store = _state(app).store
    assert store is not None and await store.dismissed("alpha", "d1") == {"c1"}
    assert await store.dismissed("alpha", "someone-else") == set()


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/recommendations/nope/dismiss?user_id=d2", {"item_id": "c1"}, 404),
        ("/api/v1/recommendations/alpha/dismiss?user_id=d2", {}, 400),
        ("/api/v1/recommendations/alpha/dismiss?user_id=d2", {"item_id": ""}, 400),
        ("/api/v1/recommendations/alpha/dismiss", {"item_id": "c1"}, 400),
    ],
)
async def test_dismiss_rejects_bad_requests(
    client: TestClientProtocol, path: str, body: dict[str, str], status: int
) -> None:
    """Unknown types, missing item ids and missing users are clear 4xx errors."""
    response = await client.post(path, json=body)
    assert response.status_code == status
    assert (await response.get_json())["error"]


async def test_stale_set_is_served_marked_stale_while_one_refresh_runs(
    app: Quart, client: TestClientProtocol
) -> None:
    """Past its freshness a set is still served, with stale: true, and a refresh starts."""
    await _put_set(app, "alpha", "s1", age=900)
    response = await client.get("/api/v1/recommendations/alpha?user_id=s1")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["stale"] is True and body["items"][0]["id"] == "c1"
    store = _state(app).store
    assert store is not None
    holder = await store.redis.get(store.keys.refresh_lock("alpha", "s1"))
    status = await store.get_status(holder.decode()) if holder else None
    assert holder is None or status is not None  # a refresh was queued (or already finished)
    assert (await store.count_delivery("probe")) == 1


async def test_set_from_an_older_type_version_counts_as_stale(
    app: Quart, client: TestClientProtocol
) -> None:
    """A set made by an older prompt or type version is served stale and refreshed."""
    await _put_set(app, "alpha", "v1", version="0.0.1/0/old")
    body = await (await client.get("/api/v1/recommendations/alpha?user_id=v1")).get_json()
    assert body["stale"] is True
    fresh = await (await client.post("/api/v1/recommendations/refresh/v1", json={})).get_json()
    assert "alpha" in [t["type"] for t in fresh["tasks"]]
