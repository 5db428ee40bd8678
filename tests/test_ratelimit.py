"""Rate limiting per client: in memory when embedded, shared through the real Redis otherwise."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from quart.typing import TestClientProtocol as Client

from portal_engine.errors import ConfigurationError
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings, load_settings

if TYPE_CHECKING:
    from tests.conftest import StartApp

KEY_A = "client-a-" + "a" * 24
KEY_B = "client-b-" + "b" * 24
TYPES = "/api/v1/recommendations/types"


Apps = Callable[[Settings], Awaitable[Client]]


@pytest.fixture
def apps(start_app: StartApp) -> Apps:
    """Start the API (no plugins) on the given settings; returns its test client."""

    async def start(settings: Settings) -> Client:
        return await start_app(settings, load_plugins(only=()))

    return start


def _limited(**changes: Any) -> Settings:
    """Embedded settings, 5 requests a minute per client, two API keys."""
    defaults: dict[str, Any] = {"rate_limit": "5/minute", "api_keys": (KEY_A, KEY_B)}
    return Settings(namespace=f"ratetest-{uuid.uuid4().hex[:8]}", **{**defaults, **changes})


async def _get(client: Client, key: str, path: str = TYPES) -> Any:
    return await client.get(path, headers={"X-API-Key": key})


async def test_sixth_request_in_a_minute_is_429_with_retry_after(apps: Apps) -> None:
    """Five requests pass; the sixth answers 429 with a JSON error and Retry-After in seconds."""
    client = await apps(_limited())
    for _ in range(5):
        assert (await _get(client, KEY_A)).status_code == 200
    refused = await _get(client, KEY_A)
    assert refused.status_code == 429
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    body = await refused.get_json()
    assert body["status"] == 429 and "too many requests" in body["error"]
    assert KEY_A not in body["error"]


async def test_another_client_keeps_its_own_budget(apps: Apps) -> None:
    """One client over its limit does not stop another API key, token user or address."""
    client = await apps(_limited(jwt_secret="s" * 40))
    for _ in range(6):
        await _get(client, KEY_A)
    assert (await _get(client, KEY_A)).status_code == 429
    assert (await _get(client, KEY_B)).status_code == 200


async def test_anonymous_clients_are_counted_by_address(apps: Apps) -> None:
    """With authentication off, each remote address has its own budget."""
    client = await apps(_limited(api_keys=()))

    async def from_address(address: str) -> int:
        response = await client.get(TYPES, scope_base={"client": (address, 40000)})
        return response.status_code

    assert [await from_address("10.0.0.1") for _ in range(6)] == [200] * 5 + [429]
    assert await from_address("10.0.0.2") == 200


async def test_failed_authentication_counts_against_the_address(apps: Apps) -> None:
    """Guessing keys is limited too: the sixth wrong key from one address is 429, not 401."""
    client = await apps(_limited())
    statuses = [(await _get(client, f"guess-{n}")).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_health_is_not_limited(apps: Apps) -> None:
    """Health checks answer however often they are asked."""
    client = await apps(_limited())
    for _ in range(12):
        assert (await client.get("/api/v1/health/live")).status_code == 200


@pytest.mark.parametrize("value", ["off", "OFF", ""])
async def test_rate_limit_off_turns_limiting_off(apps: Apps, value: str) -> None:
    """PORTAL_RATE_LIMIT=off: no request is ever refused for its rate."""
    client = await apps(_limited(rate_limit=value))
    for _ in range(12):
        assert (await _get(client, KEY_A)).status_code == 200


def test_rate_limit_off_survives_the_environment() -> None:
    """off can be said in the environment, where an empty value means the default."""
    settings = load_settings(env={"PORTAL_RATE_LIMIT": "off"}, dotenv=Path("/nonexistent"))
    assert settings.rate_limits == ""


@pytest.mark.redis
async def test_two_processes_share_one_count_on_redis(apps: Apps, redis_settings: Settings) -> None:
    """Two app instances on the real Redis draw on one budget: 3 + 3 requests, the 6th is 429."""
    settings = attrs.evolve(redis_settings, rate_limit="5/minute", api_keys=(KEY_A, KEY_B))
    first, second = await apps(settings), await apps(settings)
    statuses = [(await _get(first, KEY_A)).status_code for _ in range(3)]
    statuses += [(await _get(second, KEY_A)).status_code for _ in range(3)]
    assert statuses == [200] * 5 + [429]
    assert (await _get(second, KEY_B)).status_code == 200


async def test_unreachable_storage_fails_open(apps: Apps, log_output: io.StringIO) -> None:
    """With the rate-limit Redis down, requests are served and a warning is logged."""
    settings = _limited(redis_url="redis://127.0.0.1:1/0")
    client = await apps(settings)
    for _ in range(8):
        assert (await _get(client, KEY_A)).status_code == 200
    assert log_output.getvalue().count("rate-limit storage unreachable") == 1


def test_unparsable_rate_limit_is_refused(tmp_path: Any) -> None:
    """A PORTAL_RATE_LIMIT that is not a rate fails at start-up with an example."""
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={"PORTAL_RATE_LIMIT": "lots"}, dotenv=tmp_path / "absent.env")
    assert "600/minute" in str(info.value)
    settings = load_settings(
        env={"PORTAL_RATE_LIMIT": "10/second;600/minute"}, dotenv=tmp_path / "absent.env"
    )
    assert settings.rate_limit == "10/second;600/minute"
