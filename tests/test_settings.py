"""Tests for :mod:`portal_engine.settings`: environment, ``.env`` file, old names, checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal_engine.errors import ConfigurationError
from portal_engine.settings import Settings, load_settings

REDIS = "redis://redis.internal:6379/2"
BROKER = "amqp://guest:guest@rabbit.internal:5672//"


@pytest.fixture
def no_dotenv(tmp_path: Path) -> Path:
    """A ``.env`` path that does not exist, so no file is read."""
    return tmp_path / "absent.env"


def _dotenv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_select_the_embedded_mode(no_dotenv: Path) -> None:
    """With nothing set, the settings run in development on the embedded store and queue."""
    settings = load_settings(env={}, dotenv=no_dotenv)
    assert settings == Settings()
    assert settings.environment == "development"
    assert settings.embedded


def test_portal_variables_are_read(no_dotenv: Path) -> None:
    """Every ``PORTAL_*`` variable sets the setting of the same name."""
    env = {
        "PORTAL_REDIS_URL": REDIS,
        "PORTAL_BROKER_URL": BROKER,
        "PORTAL_NAMESPACE": "shop",
        "PORTAL_USER_PROFILE_URL": "http://profiles.internal",
        "PORTAL_LIE_URL": "http://lie.internal",
        "PORTAL_CIS_URL": "http://cis.internal",
        "PORTAL_PREFETCH_URL": "http://llm.internal",
        "PORTAL_PREFETCH_MODEL": "llama-3-8b",
        "PORTAL_PREFETCH_API_KEY": "sk-test",
    }
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert settings.redis_url == REDIS
    assert settings.broker_url == BROKER
    assert settings.namespace == "shop"
    assert settings.user_profile_url == "http://profiles.internal"
    assert settings.lie_url == "http://lie.internal"
    assert settings.cis_url == "http://cis.internal"
    assert settings.prefetch_url == "http://llm.internal"
    assert settings.prefetch_model == "llama-3-8b"
    assert settings.prefetch_api_key == "sk-test"
    assert not settings.embedded


def test_numbers_are_parsed(no_dotenv: Path) -> None:
    """Integer and float settings arrive as numbers, not text."""
    env = {
        "PORTAL_LOCK_TTL": "120",
        "PORTAL_UPSTREAM_ATTEMPTS": "5",
        "PORTAL_UPSTREAM_TIMEOUT": "2.5",
        "PORTAL_PREFETCH_TIMEOUT": "30",
    }
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert settings.lock_ttl == 120
    assert isinstance(settings.lock_ttl, int)
    assert settings.upstream_attempts == 5
    assert settings.upstream_timeout == 2.5
    assert settings.prefetch_timeout == 30.0
    assert isinstance(settings.prefetch_timeout, float)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("PORTAL_LOCK_TTL", "an hour"),
        ("PORTAL_UPSTREAM_ATTEMPTS", "2.5"),
        ("PORTAL_UPSTREAM_TIMEOUT", "ten"),
    ],
)
def test_a_bad_number_names_its_variable(no_dotenv: Path, variable: str, raw: str) -> None:
    """A value that is not a number fails at start-up with the variable's name and value."""
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={variable: raw}, dotenv=no_dotenv)
    assert variable in str(info.value)
    assert repr(raw) in str(info.value)


def test_empty_variables_keep_the_default(no_dotenv: Path) -> None:
    """A variable set to the empty string counts as unset."""
    settings = load_settings(env={"PORTAL_LOCK_TTL": "", "PORTAL_NAMESPACE": ""}, dotenv=no_dotenv)
    assert settings.lock_ttl == Settings().lock_ttl
    assert settings.namespace == Settings().namespace


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """Settings in the ``.env`` file apply when the environment does not set them."""
    path = _dotenv(tmp_path, "PORTAL_NAMESPACE=from-file\nPORTAL_LOCK_TTL=900\n")
    settings = load_settings(env={}, dotenv=path)
    assert settings.namespace == "from-file"
    assert settings.lock_ttl == 900


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    """A variable set in the environment overrides the same one in ``.env``."""
    path = _dotenv(tmp_path, "PORTAL_NAMESPACE=from-file\nPORTAL_PREFETCH_MODEL=file-model\n")
    settings = load_settings(env={"PORTAL_NAMESPACE": "from-env"}, dotenv=path)
    assert settings.namespace == "from-env"
    assert settings.prefetch_model == "file-model"


def test_dotenv_path_comes_from_portal_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an explicit path, ``$PORTAL_ENV_FILE`` names the ``.env`` file to read."""
    path = _dotenv(tmp_path, "PORTAL_NAMESPACE=pointed-to\n")
    monkeypatch.setenv("PORTAL_ENV_FILE", str(path))
    assert load_settings(env={}).namespace == "pointed-to"


@pytest.mark.parametrize(
    ("old", "field", "value"),
    [
        ("CELERY_BROKER_URL", "broker_url", BROKER),
        ("REDIS_NAMESPACE", "namespace", "seed-ns"),
        ("USER_PROFILE_SERVICE_URL", "user_profile_url", "http://old-profiles"),
        ("LIE_SERVICE_URL", "lie_url", "http://old-lie"),
        ("CIS_SERVICE_URL", "cis_url", "http://old-cis"),
        ("PREFETCH_SERVICE_URL", "prefetch_url", "http://old-llm"),
    ],
)
def test_seed_aliases_are_accepted(no_dotenv: Path, old: str, field: str, value: str) -> None:
    """The seed project's variable names still configure the matching setting."""
    env = {old: value}
    if field == "broker_url":
        env["PORTAL_REDIS_URL"] = REDIS  # one of the pair alone is refused
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert getattr(settings, field) == value


def test_redis_host_and_port_make_the_redis_url(no_dotenv: Path) -> None:
    """The seed's ``REDIS_HOST`` and ``REDIS_PORT`` become ``redis_url``."""
    env = {"REDIS_HOST": "cache.internal", "REDIS_PORT": "6380", "PORTAL_BROKER_URL": BROKER}
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert settings.redis_url == "redis://cache.internal:6380/0"


def test_redis_host_alone_uses_the_default_port(no_dotenv: Path) -> None:
    """``REDIS_HOST`` without ``REDIS_PORT`` means Redis's usual port."""
    env = {"REDIS_HOST": "cache.internal", "PORTAL_BROKER_URL": BROKER}
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert settings.redis_url == "redis://cache.internal:6379/0"


def test_seed_aliases_work_from_the_dotenv_file(tmp_path: Path) -> None:
    """An existing ``.env`` written with the seed's names keeps working."""
    path = _dotenv(
        tmp_path,
        f"REDIS_HOST=cache.internal\nCELERY_BROKER_URL={BROKER}\nREDIS_NAMESPACE=seed\n",
    )
    settings = load_settings(env={}, dotenv=path)
    assert settings.redis_url == "redis://cache.internal:6379/0"
    assert settings.broker_url == BROKER
    assert settings.namespace == "seed"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("CELERY_BROKER_URL", "PORTAL_BROKER_URL", "broker_url"),
        ("REDIS_NAMESPACE", "PORTAL_NAMESPACE", "namespace"),
        ("USER_PROFILE_SERVICE_URL", "PORTAL_USER_PROFILE_URL", "user_profile_url"),
        ("LIE_SERVICE_URL", "PORTAL_LIE_URL", "lie_url"),
        ("CIS_SERVICE_URL", "PORTAL_CIS_URL", "cis_url"),
        ("PREFETCH_SERVICE_URL", "PORTAL_PREFETCH_URL", "prefetch_url"),
    ],
)
def test_portal_names_win_over_aliases(no_dotenv: Path, old: str, new: str, field: str) -> None:
    """When both an old name and its ``PORTAL_`` name are set, the ``PORTAL_`` one counts."""
    # URL-shaped values, so the broker's "must be amqp://" check has nothing to object to.
    old_value, new_value = "amqp://old-host//", "amqp://new-host//"
    env = {old: old_value, new: new_value, "PORTAL_REDIS_URL": REDIS}
    if field != "broker_url":
        env["PORTAL_BROKER_URL"] = BROKER
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert getattr(settings, field) == new_value


def test_portal_redis_url_wins_over_redis_host(no_dotenv: Path) -> None:
    """``PORTAL_REDIS_URL`` beats ``REDIS_HOST``/``REDIS_PORT``."""
    env = {
        "PORTAL_REDIS_URL": REDIS,
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6380",
        "PORTAL_BROKER_URL": BROKER,
    }
    assert load_settings(env=env, dotenv=no_dotenv).redis_url == REDIS


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["PORTAL_REDIS_URL", "PORTAL_BROKER_URL"]),
        ({"PORTAL_BROKER_URL": BROKER}, ["PORTAL_REDIS_URL"]),
        ({"PORTAL_REDIS_URL": REDIS}, ["PORTAL_BROKER_URL"]),
    ],
)
def test_production_needs_redis_and_broker(
    no_dotenv: Path, env: dict[str, str], missing: list[str]
) -> None:
    """Production without a real Redis or broker fails at start-up, naming what is missing."""
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={"PORTAL_ENVIRONMENT": "production", **env}, dotenv=no_dotenv)
    for name in missing:
        assert name in str(info.value)


def test_production_with_both_urls_loads(no_dotenv: Path) -> None:
    """Production with Redis, the broker and an API key set loads and is not embedded."""
    env = {
        "PORTAL_ENVIRONMENT": "production",
        "PORTAL_REDIS_URL": REDIS,
        "PORTAL_BROKER_URL": BROKER,
        "PORTAL_API_KEYS": "a-service-key-of-32-characters-x",
    }
    settings = load_settings(env=env, dotenv=no_dotenv)
    assert settings.environment == "production"
    assert not settings.embedded
    assert settings.logs_as_json


@pytest.mark.parametrize(
    "env", [{"PORTAL_REDIS_URL": REDIS}, {"PORTAL_BROKER_URL": BROKER}], ids=["redis", "broker"]
)
def test_only_one_of_redis_and_broker_is_refused(no_dotenv: Path, env: dict[str, str]) -> None:
    """Setting only one of Redis and the broker is an error, even in development."""
    with pytest.raises(ConfigurationError) as info:
        load_settings(env=env, dotenv=no_dotenv)
    assert "PORTAL_REDIS_URL" in str(info.value)
    assert "PORTAL_BROKER_URL" in str(info.value)


def test_a_bad_environment_is_refused(no_dotenv: Path) -> None:
    """``PORTAL_ENVIRONMENT`` other than development or production fails with its value."""
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={"PORTAL_ENVIRONMENT": "staging"}, dotenv=no_dotenv)
    assert "PORTAL_ENVIRONMENT" in str(info.value)
    assert "staging" in str(info.value)


def test_api_key_is_not_in_repr(no_dotenv: Path) -> None:
    """The LLM API key never shows in the settings' repr, so logs cannot leak it."""
    secret = "sk-very-secret-0123456789"
    settings = load_settings(env={"PORTAL_PREFETCH_API_KEY": secret}, dotenv=no_dotenv)
    assert settings.prefetch_api_key == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORTAL_UPSTREAM_TIMEOUT", "-5", "PORTAL_UPSTREAM_TIMEOUT must be at least 0.1"),
        ("PORTAL_UPSTREAM_ATTEMPTS", "0", "PORTAL_UPSTREAM_ATTEMPTS must be at least 1"),
        ("PORTAL_MAX_BODY_BYTES", "0", "PORTAL_MAX_BODY_BYTES must be at least 1024"),
        ("PORTAL_LOG_LEVEL", "LOUD", "PORTAL_LOG_LEVEL must be one of DEBUG"),
        ("PORTAL_LOG_FORMAT", "xml", "PORTAL_LOG_FORMAT must be console or json"),
        ("PORTAL_REDIS_URL", "http://127.0.0.1:6379", "PORTAL_REDIS_URL must start with redis://"),
        ("PORTAL_BROKER_URL", "foo://x", "PORTAL_BROKER_URL must start with amqp://"),
    ],
)
def test_values_that_cannot_work_are_refused_at_start(
    no_dotenv: Path, name: str, value: str, message: str
) -> None:
    """Nonsense values fail at start-up with the variable and the rule, not later."""
    env = {"PORTAL_REDIS_URL": REDIS, "PORTAL_BROKER_URL": BROKER, name: value}
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        load_settings(env=env, dotenv=no_dotenv)
