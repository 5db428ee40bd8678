"""Settings: ``PORTAL_*`` environment variables, a ``.env`` file, and the seed's old names.

Every setting is listed with its default in ``env.example``. :func:`load_settings` is the one
way to build :class:`Settings` from the environment; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import attrs
from dotenv import dotenv_values

from portal_engine.errors import ConfigurationError

Environment = Literal["development", "production"]

#: Old variable names from the seed project, accepted so an existing ``.env`` keeps working.
ALIASES: dict[str, str] = {
    "CELERY_BROKER_URL": "PORTAL_BROKER_URL",
    "REDIS_NAMESPACE": "PORTAL_NAMESPACE",
    "USER_PROFILE_SERVICE_URL": "PORTAL_USER_PROFILE_URL",
    "LIE_SERVICE_URL": "PORTAL_LIE_URL",
    "CIS_SERVICE_URL": "PORTAL_CIS_URL",
    "PREFETCH_SERVICE_URL": "PORTAL_PREFETCH_URL",
}


@attrs.frozen
class Settings:
    """Everything Portal Engine reads from its environment.

    ``redis_url`` and ``broker_url`` left as ``None`` select the embedded in-process store and
    queue (the demo's mode); production requires both.
    """

    environment: Environment = "development"
    redis_url: str | None = None
    broker_url: str | None = None
    namespace: str = "portal"
    user_profile_url: str = "http://127.0.0.1:8100/user-profile"
    lie_url: str = "http://127.0.0.1:8100/lie"
    cis_url: str = "http://127.0.0.1:8100/cis"
    prefetch_url: str = "http://127.0.0.1:8100/prefetch"
    prefetch_model: str = "portal-standin"
    prefetch_api_key: str = attrs.field(default="", repr=False)
    #: Seconds an external call may take before it counts as failed.
    upstream_timeout: float = 10.0
    #: Tries per external call (the first one included) before the refresh fails.
    upstream_attempts: int = 3
    #: Failed calls in a row (each already retried) after which an upstream is left alone ...
    breaker_failures: int = 5
    #: ... for this many seconds, until one trial call decides whether it is back.
    breaker_reset: float = 30.0
    #: Seconds the LLM may take to answer one chat completion.
    prefetch_timeout: float = 60.0
    #: Seconds past its freshness a set is still served (marked stale) while it is refreshed.
    max_stale: int = 86400
    #: Seconds a task status, lock or notification lives in Redis.
    status_ttl: int = 86400
    #: Seconds a refresh lock lives: longer than any refresh may take, so it is never stuck.
    lock_ttl: int = 300
    notification_ttl: int = 7 * 86400
    #: Seconds a dismissed item stays hidden from its user.
    dismissal_ttl: int = 90 * 86400
    #: Seconds a refresh may run before Celery interrupts it (below RabbitMQ's consumer timeout).
    task_soft_time_limit: int = 240
    #: Deliveries of one task before it is marked failed (a task that keeps killing workers).
    max_deliveries: int = 3
    #: Seconds to wait for the broker before a request answers 503.
    broker_timeout: float = 3.0
    max_body_bytes: int = 64 * 1024
    #: Entry-point names of the plugins to load; all when empty.
    plugins: tuple[str, ...] = ()
    #: Entry-point names of plugins not to load.
    disable_plugins: tuple[str, ...] = ()
    #: Make any plugin failure fatal at start-up (CI and tests run strict).
    strict_plugins: bool = False
    log_level: str = "INFO"
    log_format: Literal["console", "json"] | None = None

    @property
    def embedded(self) -> bool:
        """True when the store and the queue are the in-process ones."""
        return self.redis_url is None or self.broker_url is None

    @property
    def logs_as_json(self) -> bool:
        """JSON logs in production, readable ones in development, unless set explicitly."""
        if self.log_format is not None:
            return self.log_format == "json"
        return self.environment == "production"

    def check(self) -> None:
        """Raise :class:`ConfigurationError` when these settings cannot run in their environment."""
        if self.environment == "production":
            missing = [
                name
                for name, value in (
                    ("PORTAL_REDIS_URL", self.redis_url),
                    ("PORTAL_BROKER_URL", self.broker_url),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError(
                    f"PORTAL_ENVIRONMENT=production needs {' and '.join(missing)}: the embedded "
                    "store and queue live in one process and lose everything when it stops. "
                    "Set them, e.g. PORTAL_REDIS_URL=redis://127.0.0.1:6379/0 "
                    "PORTAL_BROKER_URL=amqp://guest:guest@127.0.0.1:5672//"
                )
        if (self.redis_url is None) != (self.broker_url is None):
            raise ConfigurationError(
                "Set both PORTAL_REDIS_URL and PORTAL_BROKER_URL, or neither (embedded mode): "
                "a worker on a real broker cannot see an in-process store, and the reverse."
            )


def _environ(env: Mapping[str, str] | None, dotenv: Path | None) -> dict[str, str]:
    """Merge ``.env`` (lowest), then the environment; map the seed's names onto ours."""
    merged: dict[str, str] = {}
    path = dotenv if dotenv is not None else Path(os.environ.get("PORTAL_ENV_FILE", ".env"))
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ if env is None else env)
    for old, new in ALIASES.items():
        if old in merged and new not in merged:
            merged[new] = merged[old]
    if "PORTAL_REDIS_URL" not in merged and "REDIS_HOST" in merged:
        port = merged.get("REDIS_PORT", "6379")
        merged["PORTAL_REDIS_URL"] = f"redis://{merged['REDIS_HOST']}:{port}/0"
    return merged


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build :class:`Settings` from ``PORTAL_*`` variables, ``.env`` and the seed's aliases.

    Args:
        env: the variables to read; ``os.environ`` when ``None``.
        dotenv: the ``.env`` file; ``$PORTAL_ENV_FILE`` or ``./.env`` when ``None``.

    Raises:
        ConfigurationError: a value has the wrong form or the combination cannot run.
    """
    values = _environ(env, dotenv)
    kwargs: dict[str, object] = {}
    for field in attrs.fields(Settings):
        raw = values.get(f"PORTAL_{field.name.upper()}")
        if raw is None or raw == "":
            continue
        kwargs[field.name] = _coerce(field.name, field.type, raw)
    try:
        settings = Settings(**kwargs)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:  # pragma: no cover - attrs raises on bad literals
        raise ConfigurationError(str(exc)) from exc
    if settings.environment not in ("development", "production"):
        raise ConfigurationError(
            "PORTAL_ENVIRONMENT must be 'development' or 'production', "
            f"not {settings.environment!r}"
        )
    settings.check()
    return settings


def _coerce(name: str, annotation: object, raw: str) -> object:
    """Turn the text of one variable into the field's type, or say which variable is wrong."""
    kind = str(annotation)
    if kind == "bool":
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ConfigurationError(f"PORTAL_{name.upper()} must be 1 or 0 (true/false), not {raw!r}")
    if kind == "tuple[str, ...]":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ConfigurationError(f"PORTAL_{name.upper()} must be a number, not {raw!r}") from None
    return raw.strip()
