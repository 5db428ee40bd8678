"""Authentication and authorisation of the API: API keys, HS256 and RS256 bearer tokens."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from quart.typing import TestClientProtocol as Client

from portal_engine.errors import ConfigurationError
from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings, load_settings
from tests.fakes import FakeTypes

if TYPE_CHECKING:
    from tests.conftest import StartApp

API_KEY = "svc-key-" + "k" * 24
OTHER_KEY = "svc-key-" + "o" * 24
SECRET = "hs256-secret-" + "s" * 40
READ = "/api/v1/recommendations/alpha"
TYPES = "/api/v1/recommendations/types"


def _settings(**changes: Any) -> Settings:
    return Settings(
        namespace=f"authtest-{uuid.uuid4().hex[:8]}",
        upstream_attempts=1,
        prefetch_url="http://127.0.0.1:9/prefetch",
        rate_limit="",
        **changes,
    )


def _plugins() -> Plugins:
    return load_plugins(only=(), extra=[("testplugin", FakeTypes())])


AppFactory = Callable[..., Any]


@pytest.fixture
def serve(start_app: StartApp) -> AppFactory:
    """Start the API on test settings with ``changes``; returns its test client."""

    async def serve(**changes: Any) -> Client:
        return await start_app(_settings(**changes), _plugins())

    return serve


def _token(sub: str = "u1", *, key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload = {"sub": sub, "exp": int(time.time()) + 300, **claims}
    headers = {"kid": "k1"} if algorithm == "RS256" else None
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _read(client: Client, user_id: str, headers: dict[str, str]) -> Any:
    return await client.get(READ, query_string={"user_id": user_id}, headers=headers)


async def _assert_401(response: Any, *words: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = await response.get_json()
    assert body["status"] == 401
    for word in words:
        assert word in body["error"]


# -- open when nothing is configured -----------------------------------------------------------


async def test_api_is_open_when_no_credentials_are_configured(serve: AppFactory) -> None:
    """Without keys or token settings every endpoint answers without credentials."""
    client = await serve()
    assert (await client.get(TYPES)).status_code == 200
    assert (await _read(client, "u1", {})).status_code == 202


# -- API keys ----------------------------------------------------------------------------------


async def test_valid_api_key_may_act_for_any_user(serve: AppFactory) -> None:
    """A configured API key is accepted, whichever user_id the request is about."""
    client = await serve(api_keys=(OTHER_KEY, API_KEY))
    headers = {"X-API-Key": API_KEY}
    assert (await client.get(TYPES, headers=headers)).status_code == 200
    assert (await _read(client, "u1", headers)).status_code == 202
    assert (await _read(client, "someone-else", headers)).status_code == 202


async def test_invalid_api_key_is_401(serve: AppFactory) -> None:
    """A key that is not configured answers 401 with a JSON error naming the header."""
    client = await serve(api_keys=(API_KEY,))
    response = await client.get(TYPES, headers={"X-API-Key": API_KEY + "x"})
    await _assert_401(response, "X-API-Key")


async def test_missing_credentials_are_401_saying_what_to_send(serve: AppFactory) -> None:
    """No credentials at all: 401 whose message names both ways to authenticate."""
    client = await serve(api_keys=(API_KEY,), jwt_secret=SECRET)
    response = await client.get(TYPES)
    await _assert_401(response, "X-API-Key", "Bearer")
    assert "error=" not in response.headers["WWW-Authenticate"]


# -- HS256 bearer tokens -----------------------------------------------------------------------


async def test_user_token_may_act_for_its_own_user(serve: AppFactory) -> None:
    """An HS256 token whose sub is the user asked about is accepted (202 on a cold read)."""
    client = await serve(jwt_secret=SECRET)
    assert (await _read(client, "u1", _bearer(_token("u1")))).status_code == 202
    assert (await client.get(TYPES, headers=_bearer(_token("u1")))).status_code == 200


async def test_user_token_for_another_user_is_403(serve: AppFactory) -> None:
    """A token for u1 asking about u2, by query or by path, is refused with 403."""
    client = await serve(jwt_secret=SECRET)
    response = await _read(client, "u2", _bearer(_token("u1")))
    assert response.status_code == 403
    assert "sub" in (await response.get_json())["error"]
    refresh = await client.post(
        "/api/v1/recommendations/refresh/u2", json={}, headers=_bearer(_token("u1"))
    )
    assert refresh.status_code == 403
    own = await client.post(
        "/api/v1/recommendations/refresh/u1", json={}, headers=_bearer(_token("u1"))
    )
    assert own.status_code == 202


async def test_repeated_user_id_cannot_smuggle_another_user(serve: AppFactory) -> None:
    """Every user_id in the query string must be the token's subject, not just the first."""
    client = await serve(jwt_secret=SECRET)
    response = await client.get(f"{READ}?user_id=u1&user_id=u2", headers=_bearer(_token("u1")))
    assert response.status_code == 403


async def test_expired_token_is_401(serve: AppFactory) -> None:
    """A token past its exp (beyond the clock leeway) answers 401 saying it expired."""
    client = await serve(jwt_secret=SECRET)
    token = _token("u1", exp=int(time.time()) - 3600)
    await _assert_401(await _read(client, "u1", _bearer(token)), "expired")


async def test_forged_signature_is_401(serve: AppFactory) -> None:
    """A token signed with another secret answers 401 saying the signature does not verify."""
    client = await serve(jwt_secret=SECRET)
    token = _token("u1", key="another-secret-" + "x" * 40)
    await _assert_401(await _read(client, "u1", _bearer(token)), "signature")


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_alg_none_token_is_401(serve: AppFactory) -> None:
    """An unsigned token (alg none) is refused, naming the algorithms accepted."""
    client = await serve(jwt_secret=SECRET)
    token = _unsigned({"sub": "u1", "exp": int(time.time()) + 300})
    await _assert_401(await _read(client, "u1", _bearer(token)), "HS256")


@pytest.mark.parametrize(
    ("authorization", "words"),
    [
        ("Token abc", ["Bearer <token>"]),
        ("Bearer", ["Bearer <token>"]),
        ("Bearer two words", ["Bearer <token>"]),
        ("Bearer not-a-jwt", ["well-formed"]),
    ],
)
async def test_malformed_authorization_is_401(
    serve: AppFactory, authorization: str, words: list[str]
) -> None:
    """A header that is not 'Bearer <JWT>' answers 401 with what the header must look like."""
    client = await serve(jwt_secret=SECRET)
    response = await client.get(TYPES, headers={"Authorization": authorization})
    await _assert_401(response, *words)


async def test_audience_and_issuer_are_checked_when_set(serve: AppFactory) -> None:
    """With an audience and issuer configured, tokens must carry exactly those."""
    client = await serve(jwt_secret=SECRET, jwt_audience="portal", jwt_issuer="https://id.test")
    good = _token("u1", aud="portal", iss="https://id.test")
    assert (await _read(client, "u1", _bearer(good))).status_code == 202
    wrong_aud = _token("u1", aud="elsewhere", iss="https://id.test")
    await _assert_401(await _read(client, "u1", _bearer(wrong_aud)), "portal")
    no_iss = _token("u1", aud="portal")
    await _assert_401(await _read(client, "u1", _bearer(no_iss)), "iss")


# -- RS256 from a JWKS endpoint ----------------------------------------------------------------


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    """The identity provider's RSA key, published as kid k1."""
    return _rsa_key()


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A local HTTP server in a thread publishing ``signing_key``'s public half as a JWKS."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


async def test_rs256_token_from_the_jwks_is_accepted(
    serve: AppFactory, jwks_url: str, signing_key: rsa.RSAPrivateKey
) -> None:
    """A token signed by the key the JWKS publishes is accepted for its own user."""
    client = await serve(jwt_jwks_url=jwks_url)
    token = _token("u1", key=signing_key, algorithm="RS256")
    assert (await _read(client, "u1", _bearer(token))).status_code == 202
    assert (await _read(client, "u2", _bearer(token))).status_code == 403


async def test_rs256_token_signed_by_another_key_is_401(serve: AppFactory, jwks_url: str) -> None:
    """A token claiming the published kid but signed by another RSA key is refused."""
    client = await serve(jwt_jwks_url=jwks_url)
    token = _token("u1", key=_rsa_key(), algorithm="RS256")
    await _assert_401(await _read(client, "u1", _bearer(token)), "signature")


async def test_hs256_token_is_401_when_only_rs256_is_configured(
    serve: AppFactory, jwks_url: str
) -> None:
    """An HS256 token (e.g. signed with the public key as secret) is refused under RS256."""
    client = await serve(jwt_jwks_url=jwks_url)
    await _assert_401(await _read(client, "u1", _bearer(_token("u1"))), "RS256")


# -- which endpoints -------------------------------------------------------------------------


async def test_task_status_of_another_user_is_403(serve: AppFactory) -> None:
    """A token sees the status of its own user's tasks only; an API key sees every task."""
    client = await serve(jwt_secret=SECRET, api_keys=(API_KEY,))
    started = await _read(client, "u1", _bearer(_token("u1")))
    status_url = (await started.get_json())["status_url"]
    mine = await client.get(status_url, headers=_bearer(_token("u1")))
    assert mine.status_code == 200
    assert (await mine.get_json())["user_id"] == "u1"
    assert (await client.get(status_url, headers=_bearer(_token("u2")))).status_code == 403
    assert (await client.get(status_url, headers={"X-API-Key": API_KEY})).status_code == 200
    unknown = await client.get(
        "/api/v1/recommendations/status/no-such-task", headers=_bearer(_token("u2"))
    )
    assert unknown.status_code == 404


async def test_health_and_docs_need_no_credentials(serve: AppFactory) -> None:
    """Health checks and the API docs answer without credentials when auth is on."""
    client = await serve(api_keys=(API_KEY,), jwt_secret=SECRET)
    for path in ("/api/v1/health/", "/api/v1/health/live", "/api/v1/health/ready"):
        assert (await client.get(path)).status_code in (200, 503), path
    assert (await client.get("/api/v1/health/live")).status_code == 200
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/api/v1/notifications/?user_id=u1")).status_code == 401


async def test_openapi_documents_both_schemes_and_open_health(serve: AppFactory) -> None:
    """/openapi.json declares the API-key and bearer schemes; health operations need neither."""
    client = await serve(api_keys=(API_KEY,))
    spec = await (await client.get("/openapi.json")).get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "name": "X-API-Key", "in": "header"}
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert {"ApiKeyAuth": []} in spec["security"] and {"BearerAuth": []} in spec["security"]
    assert spec["paths"]["/api/v1/health/live"]["get"]["security"] == []


# -- settings --------------------------------------------------------------------------------


def test_production_without_auth_is_refused(tmp_path: Path) -> None:
    """Production with no API keys and no token settings fails, naming how to configure them."""
    env = {
        "PORTAL_ENVIRONMENT": "production",
        "PORTAL_REDIS_URL": "redis://redis.internal:6379/0",
        "PORTAL_BROKER_URL": "amqp://guest:guest@rabbit.internal:5672//",
    }
    with pytest.raises(ConfigurationError) as info:
        load_settings(env=env, dotenv=tmp_path / "absent.env")
    assert "PORTAL_API_KEYS" in str(info.value)
    assert "PORTAL_JWT_SECRET" in str(info.value)
    settings = load_settings(
        env={**env, "PORTAL_API_KEYS": f"{API_KEY},{OTHER_KEY}"}, dotenv=tmp_path / "absent.env"
    )
    assert settings.api_keys == (API_KEY, OTHER_KEY)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"api_keys": ("short",)}, "PORTAL_API_KEYS"),
        ({"jwt_secret": "short"}, "PORTAL_JWT_SECRET"),
        ({"jwt_jwks_url": "file:///etc/passwd"}, "PORTAL_JWT_JWKS_URL"),
        ({"jwt_audience": "portal"}, "PORTAL_JWT_AUDIENCE"),
    ],
)
def test_unusable_auth_settings_are_refused(changes: dict[str, Any], named: str) -> None:
    """Guessable keys, short secrets, odd JWKS URLs and orphan claims fail at start-up."""
    with pytest.raises(ConfigurationError) as info:
        Settings(**changes).check()
    assert named in str(info.value)
    for value in changes.values():
        if value != "portal":
            assert str(value).strip("(),'") not in str(info.value)


# -- secrets stay out of logs ----------------------------------------------------------------


async def test_keys_and_tokens_never_reach_the_logs(
    serve: AppFactory, log_output: io.StringIO
) -> None:
    """Neither a valid nor a rejected key or token appears in any log line or error body."""
    client = await serve(api_keys=(API_KEY,), jwt_secret=SECRET)
    wrong_key = "guessed-key-" + "g" * 20
    good, expired = _token("u1"), _token("u1", exp=int(time.time()) - 3600)
    forged = _token("u1", key="another-secret-" + "x" * 40)
    bodies = [
        await (await client.get(TYPES, headers=headers)).get_data(as_text=True)
        for headers in (
            {"X-API-Key": API_KEY},
            {"X-API-Key": wrong_key},
            _bearer(good),
            _bearer(expired),
            _bearer(forged),
            {"Authorization": f"Basic {wrong_key}"},
        )
    ]
    logged = log_output.getvalue()
    assert "authentication failed" in logged  # the failures were logged ...
    for secret in (API_KEY, wrong_key, SECRET, good, expired, forged):
        assert secret not in logged  # ... without what was sent
        assert not any(secret in body for body in bodies)


async def test_start_up_warns_when_authentication_is_off(
    serve: AppFactory, log_output: io.StringIO
) -> None:
    """An app without credentials configured logs one 'authentication is OFF' warning."""
    await serve()
    assert log_output.getvalue().count("authentication is OFF") == 1
    await serve(api_keys=(API_KEY,))
    assert log_output.getvalue().count("authentication is OFF") == 1
