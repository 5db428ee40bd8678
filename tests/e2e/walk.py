"""The main job, walked over HTTP as a user of the API would: the same steps in both modes."""

from __future__ import annotations

import time
from typing import Any

import httpx

from portal_engine.demo.dataset import haversine_km, load_dataset

#: What a person waits for at most, from a cold read to the set.
COLD_TIMEOUT = 60.0


def poll_status(client: httpx.Client, status_url: str) -> dict[str, Any]:
    """Poll a task's status until it is final; return it."""
    deadline = time.monotonic() + COLD_TIMEOUT
    while time.monotonic() < deadline:
        status = client.get(status_url)
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        if body["state"] in ("success", "failure"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"task at {status_url} not done in {COLD_TIMEOUT}s")


def cold_read(client: httpx.Client, user_id: str) -> tuple[dict[str, Any], float]:
    """GET a cold set: 202, poll to success, GET again: 200. Returns the set and the seconds."""
    started = time.monotonic()
    first = client.get("/api/v1/recommendations/dining", params={"user_id": user_id})
    assert first.status_code == 202, first.text
    ref = first.json()
    assert ref["task_id"] and ref["status_url"].endswith(ref["task_id"])
    status = poll_status(client, ref["status_url"])
    assert status["state"] == "success", status
    assert status["type"] == "dining" and status["user_id"] == user_id
    second = client.get("/api/v1/recommendations/dining", params={"user_id": user_id})
    elapsed = time.monotonic() - started
    assert second.status_code == 200, second.text
    return second.json(), elapsed


def check_types(client: httpx.Client) -> None:
    """dining is listed with its description, queue, TTL, plugin and version."""
    types = {t["name"]: t for t in client.get("/api/v1/recommendations/types").json()["types"]}
    dining = types["dining"]
    assert dining["queue"] == "portal.dining"
    assert dining["plugin"] == "portal-engine-dining" and dining["version"]
    assert dining["ttl"] > 0 and dining["description"]


def check_set(rset: dict[str, Any], user_id: str, profile: dict[str, Any]) -> None:
    """The set is real restaurants near the user, of cuisines they like and never dislike."""
    assert rset["type"] == "dining" and rset["user_id"] == user_id
    assert rset["source"] == "llm"
    assert {"generated_at", "expires_at"} <= rset.keys()
    items = rset["items"]
    assert len(items) >= 5
    data = load_dataset()
    restaurants = {r.restaurant_id: r for r in data.restaurants}
    hoods = data.neighbourhoods
    places = [hoods[profile["home"]["nta_code"]], hoods[profile["work"]["nta_code"]]]
    likes = {c.lower() for c in profile["cuisine_likes"]}
    dislikes = {c.lower() for c in profile["cuisine_dislikes"]}
    liked = 0
    for item in items:
        assert {"id", "title", "score", "reason"} <= item.keys()
        assert 0 <= item["score"] <= 1 and len(item["reason"]) > 10
        restaurant = restaurants[item["id"]]  # a real row of restaurants_nyc.csv
        assert item["title"] == restaurant.name
        assert restaurant.cuisine.lower() not in dislikes
        liked += restaurant.cuisine.lower() in likes
        nearest = min(haversine_km(restaurant.lat, restaurant.lon, p.lat, p.lon) for p in places)
        assert nearest <= 2.05, (item, nearest)
    assert liked >= 3, "most of a user's set should match cuisines they like"
    assert any(c.lower() in items[0]["reason"].lower() for c in profile["cuisine_likes"])


def check_notifications(client: httpx.Client, user_id: str) -> None:
    """A 'ready' notification arrived; it can be marked read, then deleted."""
    listed = client.get("/api/v1/notifications/", params={"user_id": user_id}).json()
    ready = [n for n in listed["notifications"] if n["data"].get("type") == "dining"]
    assert ready and ready[0]["kind"] == "recommendations_ready"
    assert listed["unread"] >= 1
    note = ready[0]
    read = client.post(f"/api/v1/notifications/{note['id']}/read", params={"user_id": user_id})
    assert read.status_code == 200 and read.json()["read"] is True
    after = client.get("/api/v1/notifications/", params={"user_id": user_id}).json()
    assert after["unread"] == listed["unread"] - 1
    gone = client.delete(f"/api/v1/notifications/{note['id']}", params={"user_id": user_id})
    assert gone.status_code == 204
    ids = [
        n["id"]
        for n in client.get("/api/v1/notifications/", params={"user_id": user_id}).json()[
            "notifications"
        ]
    ]
    assert note["id"] not in ids


def check_unknown_user(client: httpx.Client) -> None:
    """A user the profile service does not know: a clear task error, then 404 on the read."""
    first = client.get("/api/v1/recommendations/dining", params={"user_id": "user-9999"})
    assert first.status_code == 202
    status = poll_status(client, first.json()["status_url"])
    assert status["state"] == "failure"
    assert "user-9999" in status["error"] and "does not know" in status["error"]
    again = client.get("/api/v1/recommendations/dining", params={"user_id": "user-9999"})
    assert again.status_code == 404 and "user-9999" in again.json()["error"]


def walk(base_url: str, profile_url: str, user_id: str = "user-1") -> float:
    """Every step a person takes in the issue's walk; returns seconds from cold GET to 200."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        check_types(client)
        rset, elapsed = cold_read(client, user_id)
        profile = httpx.get(f"{profile_url}/v1/users/{user_id}").json()
        check_set(rset, user_id, profile)
        check_notifications(client, user_id)
        check_unknown_user(client)
        docs = client.get("/openapi.json").json()
        assert "/api/v1/recommendations/{type_name}" in docs["paths"]
    return elapsed
