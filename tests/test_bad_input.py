"""Bad input of every kind: always a 4xx JSON error that says what to fix, never a 5xx; odd but
valid ids are accepted and kept apart."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import attrs
import httpx
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from portal_engine import Item
from portal_engine.api.app import create_app
from portal_engine.api.state import ApiState
from portal_engine.models import RecommendationSet, utcnow
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from tests.e2e.processes import ENGINE, clean_env, free_port, running, wait_http
from tests.fakes import FakeTypes

API = "/api/v1"
READ = f"{API}/recommendations/alpha"
REFRESH = f"{API}/recommendations/refresh"
DISMISS = f"{API}/recommendations/alpha/dismiss"
STATUS = f"{API}/recommendations/status"
NOTIFICATIONS = f"{API}/notifications"
#: The body limit of these tests' app, in bytes.
LIMIT = 1024
USER_ID_RULE = "user_id must be 1-128 characters without control characters"
JSON_ONLY = "Content-Type: application/json"


@contextlib.asynccontextmanager
async def serving(limit: int = LIMIT) -> AsyncIterator[Quart]:
    """The API on embedded defaults with the type ``alpha`` and a body limit of ``limit``
    bytes, serving."""
    settings = Settings(
        namespace=f"badinput-{uuid.uuid4().hex[:8]}",
        max_body_bytes=limit,
        upstream_attempts=1,
        prefetch_url="http://127.0.0.1:9/prefetch",
    )
    plugins = load_plugins(only=(), extra=[("badinput", FakeTypes())])
    async with create_app(settings, plugins).test_app() as test_app:
        yield test_app.app  # type: ignore[misc]


@pytest.fixture
async def app() -> AsyncIterator[Quart]:
    """The API on embedded defaults with the type ``alpha``, serving."""
    async with serving() as quart_app:
        yield quart_app


@pytest.fixture
def client(app: Quart) -> Client:
    """A test client of the serving app."""
    return app.test_client()


async def assert_error(
    response: Any, status: int, *fragments: str, headers: dict[str, str] | None = None
) -> str:
    """``response`` is the JSON error ``status`` whose message holds every fragment."""
    text = await response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/json", text
    body = await response.get_json()
    assert body["status"] == status and isinstance(body["error"], str), body
    for fragment in fragments:
        assert fragment in body["error"], body["error"]
    for name, value in (headers or {}).items():
        assert response.headers.get(name) == value, dict(response.headers)
    message: str = body["error"]
    return message


async def _put_set(app: Quart, user_id: str) -> None:
    """Store a fresh ``alpha`` set for ``user_id`` whose one item is named after the user."""
    api: ApiState = app.extensions["portal_engine"]
    assert api.store is not None
    rtype = api.plugins.types["alpha"]
    now = utcnow()
    rset = RecommendationSet(
        "alpha",
        user_id,
        [Item(f"for {user_id}", "One", 0.9, "why")],
        now,
        now + timedelta(seconds=600),
        "llm",
        version=rtype.fingerprint,
    )
    await api.store.put_set(rset, 600)


async def _post_json(client: Client, path: str, body: str | bytes) -> Any:
    return await client.post(path, data=body, headers={"Content-Type": "application/json"})


# -- types and user ids ------------------------------------------------------------------------


async def test_unknown_type_is_404_naming_the_known_ones(client: Client) -> None:
    """An unknown type, on every endpoint that takes one, is a 404 listing the known types."""
    for response in (
        await client.get(f"{API}/recommendations/nope?user_id=u1"),
        await client.delete(f"{API}/recommendations/nope?user_id=u1"),
        await client.post(f"{API}/recommendations/nope/dismiss?user_id=u1", json={"item_id": "x"}),
        await client.post(f"{REFRESH}/u1", json={"types": ["nope"]}),
    ):
        await assert_error(
            response, 404, "unknown recommendation type 'nope'", "known types: alpha"
        )


BAD_USER_IDS = {
    "missing": "",
    "empty": "?user_id=",
    "129 characters": "?user_id=" + "x" * 129,
    "100k characters": "?user_id=" + "x" * 100_000,
    "NUL": "?user_id=a%00b",
    "escape": "?user_id=a%1bb",
    "DEL": "?user_id=a%7fb",
    "C1 next line": "?user_id=a%C2%85b",
    "newline": "?user_id=a%0Ab",
    "given twice": "?user_id=a&user_id=b",
}


@pytest.mark.parametrize("query", list(BAD_USER_IDS.values()), ids=list(BAD_USER_IDS))
async def test_bad_user_id_in_the_query_is_400_with_the_rule(client: Client, query: str) -> None:
    """Every endpoint with ?user_id= answers a bad one with 400 stating the rule."""
    for response in (
        await client.get(READ + query),
        await client.delete(READ + query),
        await client.post(DISMISS + query, json={"item_id": "c1"}),
        await client.get(f"{NOTIFICATIONS}/{query}"),
        await client.post(f"{NOTIFICATIONS}/n1/read{query}"),
        await client.delete(f"{NOTIFICATIONS}/n1{query}"),
    ):
        await assert_error(response, 400, USER_ID_RULE)


@pytest.mark.parametrize(
    "user_id",
    ["x" * 129, "x" * 100_000, "a%00b", "a%1bb", "a%7fb", "a%C2%85b"],
    ids=["129", "100k", "NUL", "escape", "DEL", "C1"],
)
async def test_bad_user_id_in_the_path_is_400_with_the_rule(client: Client, user_id: str) -> None:
    """POST /refresh/{user_id} answers a bad id with the same rule as the query string."""
    response = await client.post(f"{REFRESH}/{user_id}", json={})
    await assert_error(response, 400, USER_ID_RULE)


@pytest.mark.parametrize(
    "target",
    [
        f"{READ}?user_id=%FF",
        f"{READ}?user_id=a%C3",
        f"{NOTIFICATIONS}/?user_id=%ED%A0%80",
        f"{DISMISS}?user_id=a%FFb",
    ],
)
async def test_ids_that_are_not_utf8_are_400(client: Client, target: str) -> None:
    """Percent-escapes that are not UTF-8 are refused, not read as some other id.

    (The test client decodes a path before the app sees it, so paths are tried over real HTTP.)
    """
    response = await (client.post(target, json={}) if DISMISS in target else client.get(target))
    await assert_error(response, 400, "UTF-8")


ODD_IDS = ["a:b", "*", "?", "[x]", "%", "a/b", "a%3Ab", "a*", "é", "\u2028", " "]


@pytest.mark.parametrize("user_id", ODD_IDS)
async def test_separators_and_glob_characters_are_valid_ids(client: Client, user_id: str) -> None:
    """Key separators, glob characters, '%' and '/' are ordinary characters of a user id."""
    read = await client.get(READ, query_string={"user_id": user_id})
    assert read.status_code == 202, await read.get_data(as_text=True)
    assert (await read.get_json())["user_id"] == user_id
    # The test client decodes the path as the server does: %2F is a '/' of the id.
    refresh = await client.post(f"{REFRESH}/{quote(user_id, safe='')}", json={"force": True})
    assert refresh.status_code == 202, await refresh.get_data(as_text=True)
    assert (await refresh.get_json())["user_id"] == user_id
    listed = await client.get(f"{NOTIFICATIONS}/", query_string={"user_id": user_id})
    assert listed.status_code == 200 and (await listed.get_json())["user_id"] == user_id
    dismissed = await client.post(
        DISMISS, query_string={"user_id": user_id}, json={"item_id": "c1"}
    )
    assert dismissed.status_code == 200
    deleted = await client.delete(READ, query_string={"user_id": user_id})
    assert deleted.status_code == 204


async def test_odd_ids_never_share_a_set(app: Quart, client: Client) -> None:
    """The set of 'a:b' is served for no other id, and deleting the set of '*' deletes no other."""
    for user_id in ("a:b", "*", "[x]"):
        await _put_set(app, user_id)
    for user_id in ("a:b", "*", "[x]"):
        read = await client.get(READ, query_string={"user_id": user_id})
        assert read.status_code == 200, await read.get_data(as_text=True)
        body = await read.get_json()
        assert body["user_id"] == user_id and body["items"][0]["id"] == f"for {user_id}"
    for other in ("a%3Ab", "a", "a*", "a:b:", "x", "[", "a%253Ab"):
        read = await client.get(READ, query_string={"user_id": other})
        assert read.status_code == 202, (other, await read.get_data(as_text=True))
    assert (await client.delete(READ, query_string={"user_id": "*"})).status_code == 204
    for user_id in ("a:b", "[x]"):
        read = await client.get(READ, query_string={"user_id": user_id})
        assert read.status_code == 200, user_id


# -- task ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_id",
    ["0" * 32, "not*valid", "..%2F..%2Fx", "../../x", "x" * 1000, "%00", "a b", "é"],
    ids=["unknown", "glob", "encoded-traversal", "traversal", "1000-chars", "nul", "space", "é"],
)
async def test_unknown_or_weird_task_id_is_404(client: Client, task_id: str) -> None:
    """A task id that does not exist, or cannot, is a 404 about the task (or the route)."""
    message = await assert_error(await client.get(f"{STATUS}/{task_id}"), 404)
    assert "task" in message or "no such endpoint" in message
    assert len(message) < 300  # a 1000-character id is not echoed back whole


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["{not json", "", '{"types": ["alpha"]} x', "{'force': true}"])
async def test_malformed_json_is_400(client: Client, body: str) -> None:
    """A body that is not JSON at all is a 400 asking whether it is valid JSON."""
    for path in (f"{REFRESH}/u1", f"{DISMISS}?user_id=u1"):
        await assert_error(await _post_json(client, path, body), 400, "valid JSON")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"force": "yes"}', "force must be true or false"),
        ('{"force": 0}', "force must be true or false"),
        ('{"force": null}', "force must be true or false"),
        ('{"types": "alpha"}', "types must be a non-empty list of type names"),
        ('{"types": [1]}', "types must be a non-empty list of type names"),
        ('{"types": []}', "types must be a non-empty list of type names"),
        ('{"types": {"alpha": true}}', "types must be a non-empty list of type names"),
        ('["alpha"]', "the body must be a JSON object"),
        ("[]", "the body must be a JSON object"),
        ("null", "the body must be a JSON object"),
        ('"alpha"', "the body must be a JSON object"),
        ("42", "the body must be a JSON object"),
        ("1e999", "the body must be a JSON object"),
    ],
)
async def test_wrong_json_types_in_a_refresh_are_400(
    client: Client, body: str, fragment: str
) -> None:
    """Each wrong JSON type in a refresh body is a 400 that names the field and its rule."""
    await assert_error(await _post_json(client, f"{REFRESH}/u1", body), 400, fragment)


@pytest.mark.parametrize(
    "body",
    [
        '{"item_id": 5}',
        "{}",
        '{"item_id": ""}',
        '{"item_id": null}',
        '{"item_id": "' + "x" * 257 + '"}',
        "[]",
    ],
)
async def test_wrong_json_in_a_dismissal_is_400(client: Client, body: str) -> None:
    """A dismissal without a proper item id is a 400 stating what an item id is."""
    message = await assert_error(await _post_json(client, f"{DISMISS}?user_id=u1", body), 400)
    assert "item_id must be a string of 1-256 characters" in message or "JSON object" in message


@pytest.mark.parametrize(
    ("path", "body", "unknown", "allowed"),
    [
        (f"{REFRESH}/u1", '{"forse": true}', "unknown field 'forse'", "allowed: force, types"),
        (f"{REFRESH}/u1", '{"force": true, "type": ["alpha"]}', "'type'", "allowed: force, types"),
        (f"{REFRESH}/u1", '{"a": 1, "b": 2}', "unknown fields 'a', 'b'", "allowed: force, types"),
        (f"{DISMISS}?user_id=u1", '{"item_id": "c1", "itemId": "c1"}', "'itemId'", "item_id"),
        (f"{DISMISS}?user_id=u1", '{"id": "c1"}', "unknown field 'id'", "allowed: item_id"),
    ],
    ids=["misspelt", "singular", "two", "camel-case", "renamed"],
)
async def test_unknown_fields_in_a_body_are_400(
    client: Client, path: str, body: str, unknown: str, allowed: str
) -> None:
    """A field the body does not have is refused, named, with the allowed ones, not ignored:
    ``{"forse": true}`` was a refresh that was not forced."""
    await assert_error(await _post_json(client, path, body), 400, unknown, allowed)


async def test_every_body_refuses_unknown_fields(app: Quart, client: Client) -> None:
    """Every endpoint that takes a body refuses a field its model does not have."""
    urls = app.url_map.bind("")
    checked = []
    for rule in app.url_map.iter_rules():
        model = getattr(app.view_functions[rule.endpoint], QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
        if model is None:
            continue
        path = urls.build(rule.endpoint, {"user_id": "u1", "type_name": "alpha"})
        allowed = ", ".join(field.name for field in attrs.fields(model[0]))
        response = await client.post(path, json={"not_a_field": 1})
        await assert_error(response, 400, "'not_a_field'", f"allowed: {allowed}")
        checked.append(rule.endpoint)
    assert len(checked) >= 2, checked


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        "[" * 100_000 + "]" * 100_000,
        '{"types": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"item_id": ' + '{"a": ' * 1000 + "1" + "}" * 1001,
    ],
    ids=["1000-arrays", "100k-arrays", "in-a-field", "1000-objects"],
)
async def test_deeply_nested_json_is_400(body: str) -> None:
    """JSON nested deeper than the parser can recurse (1000 brackets are 2 KB) is a 400 saying
    so, not a 500."""
    async with serving(limit=len(body)) as roomy:
        client = roomy.test_client()
        for path in (f"{REFRESH}/u1", f"{DISMISS}?user_id=u1"):
            await assert_error(await _post_json(client, path, body), 400, "nested too deeply")


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/xml"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {},
    ],
    ids=["text", "form", "xml", "multipart", "none"],
)
async def test_a_body_that_is_not_declared_json_is_415(
    client: Client, headers: dict[str, str]
) -> None:
    """A body sent as anything but JSON is a 415 that names the content type to send."""
    for path in (f"{REFRESH}/u1", f"{DISMISS}?user_id=u1"):
        response = await client.post(path, data='{"item_id": "c1"}', headers=headers)
        await assert_error(response, 415, JSON_ONLY)


async def test_a_charset_on_json_is_fine(client: Client) -> None:
    """``application/json; charset=utf-8`` is JSON."""
    response = await client.post(
        f"{REFRESH}/u1", data="{}", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 202


@pytest.mark.parametrize("body", [b'{"item_id": "\xff"}', b'{"item_id": "caf\xe9"}', b"\xfe\xff"])
async def test_a_body_that_is_not_utf8_is_400(client: Client, body: bytes) -> None:
    """A JSON body with bytes that are not UTF-8 (say, Latin-1 text) is a 400, not a 500."""
    for path in (f"{REFRESH}/u1", f"{DISMISS}?user_id=u1"):
        await assert_error(await _post_json(client, path, body), 400, "UTF-8")


async def test_a_body_over_the_limit_is_413(client: Client) -> None:
    """A body over the limit is a 413 that says what the limit is."""
    big = '{"types": [' + ",".join(['"alpha"'] * 400) + "]}"
    for path in (f"{REFRESH}/u1", f"{DISMISS}?user_id=u1"):
        await assert_error(await _post_json(client, path, big), 413, f"the limit is {LIMIT} bytes")
    exact = '{"item_id": "' + "x" * (LIMIT - 15) + '"}'
    assert len(exact) == LIMIT
    response = await _post_json(client, f"{DISMISS}?user_id=u1", exact)
    assert response.status_code == 400  # at the limit it is read, and the id is too long


# -- notifications -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["-1", "0", "101", "1" + "0" * 30, "lots", "1.5", "", "0x10"])
async def test_bad_notification_limit_is_400_with_the_range(client: Client, limit: str) -> None:
    """A limit that is not a whole number from 1 to 100 is a 400 that gives the range."""
    response = await client.get(f"{NOTIFICATIONS}/?user_id=n1&limit={limit}")
    await assert_error(response, 400, "limit must be a whole number from 1 to 100")


@pytest.mark.parametrize("limit", ["1", "50", "100"])
async def test_notification_limits_in_range_are_fine(client: Client, limit: str) -> None:
    """The ends of the range are accepted."""
    response = await client.get(f"{NOTIFICATIONS}/?user_id=n1&limit={limit}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "notification_id", ["0" * 32, "nope", "x" * 1000, "..%2Fx", "*"], ids=lambda n: n[:8]
)
async def test_unknown_notification_is_404(
    app: Quart, client: Client, notification_id: str
) -> None:
    """Reading or deleting a notification that is not this user's is a 404."""
    api: ApiState = app.extensions["portal_engine"]
    assert api.store is not None
    await api.store.add_notification("n1", "k", "title", "body")
    read = await client.post(f"{NOTIFICATIONS}/{notification_id}/read?user_id=n1")
    message = await assert_error(read, 404)
    assert "no notification" in message or "no such endpoint" in message  # '/' in the id
    assert len(message) < 200
    deleted = await client.delete(f"{NOTIFICATIONS}/{notification_id}?user_id=n1")
    assert (await assert_error(deleted, 404)) == message


# -- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", f"{API}/recommendations/types", "GET"),
        ("DELETE", f"{API}/recommendations/types", "GET"),
        ("POST", f"{API}/recommendations/types", "GET"),
        ("PUT", f"{REFRESH}/u1", "POST"),
        ("GET", f"{REFRESH}/u1", "POST"),
        ("PATCH", f"{READ}?user_id=u1", "DELETE"),
        ("GET", f"{NOTIFICATIONS}/n1?user_id=u1", "DELETE"),
        ("PUT", f"{NOTIFICATIONS}/n1/read?user_id=u1", "POST"),
        ("DELETE", f"{STATUS}/abc", "GET"),
        ("POST", f"{API}/health/live", "GET"),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: Client, method: str, path: str, allowed: str
) -> None:
    """A method a path does not have is a 405 JSON error and an Allow header, both listing it."""
    response = await client.open(path, method=method)
    message = await assert_error(response, 405, "method not allowed", allowed)
    assert allowed in response.headers["Allow"] and method not in response.headers["Allow"]
    assert message.endswith(response.headers["Allow"])


# -- over real HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`portal-engine demo` on Hypercorn; its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("badinput") / "demo.log"
    with running([*ENGINE, "demo", "--port", str(port)], clean_env(), log) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v1/health/live", log, proc)
        yield base


def _status_line(base: str, head: str, body: bytes, timeout: float) -> tuple[bytes, float]:
    """Send ``head`` and the start of a body; return the status line and how long it took."""
    port = int(base.rsplit(":", 1)[1])
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        received = b""
        while b"\r\n" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n", 1)[0], time.monotonic() - started


@pytest.mark.e2e
@pytest.mark.parametrize(
    "path", ["/recommendations/refresh/u1", "/recommendations/dining/dismiss?user_id=u1"]
)
def test_413_comes_before_the_body_is_read(demo: str, path: str) -> None:
    """A 100 MiB Content-Length is refused at once, while only a few bytes have been sent."""
    head = "\r\n".join(
        [
            f"POST {API}{path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Content-Type: application/json",
            "Content-Length: 104857600",
        ]
    )
    line, took = _status_line(demo, head, b'{"types": [', timeout=5)
    assert line.startswith(b"HTTP/1.1 413"), line
    assert took < 2, f"the 413 took {took:.2f}s"


@pytest.mark.e2e
def test_over_real_http_encoded_ids_are_decoded_once(demo: str) -> None:
    """Through Hypercorn, %2F in a path is a '/' of the id; bytes that are not UTF-8 are 400s."""
    with httpx.Client(base_url=demo, timeout=10) as http:
        refresh = http.post(f"{API}/recommendations/refresh/a%2Fb", json={"types": ["dining"]})
        assert refresh.status_code == 202, refresh.text
        assert refresh.json()["user_id"] == "a/b"
        for target in (
            f"{API}/recommendations/refresh/%FF",
            f"{API}/recommendations/dining?user_id=%FF",
        ):
            response = http.post(target, json={}) if "refresh" in target else http.get(target)
            assert response.status_code == 400 and "UTF-8" in response.json()["error"]
        read = http.get(f"{API}/recommendations/dining", params={"user_id": "a/b"})
        assert read.status_code in (200, 202), read.text
    # A 100k-character URL is refused by Hypercorn itself (over h11's 16 KiB limit on a
    # request head), before the app: a 4xx without our JSON, but never a 5xx.
    head = f"GET {API}/recommendations/dining?user_id={'x' * 100_000} HTTP/1.1\r\nHost: 127.0.0.1"
    line, _ = _status_line(demo, head, b"", timeout=5)
    assert line.startswith(b"HTTP/1.1 4"), line
