"""Settings: ``PORTAL_*`` environment variables, a ``.env`` file, and the seed's old names.

Every setting is listed with its default in ``env.example``. :func:`load_settings` is the one
way to build :class:`Settings` from the environment; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import attrs
from dotenv import dotenv_values

from portal_engine.errors import ConfigurationError

Environment = Literal["development", "production"]

#: Shortest accepted API key: anything shorter can be guessed.
MIN_API_KEY_LENGTH = 16
#: Shortest accepted HS256 secret, in bytes (RFC 7518 asks for a key as long as the hash).
MIN_JWT_SECRET_BYTES = 32

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
    #: Type queues are named ``<queue_prefix>.<type>``: give deployments sharing a RabbitMQ
    #: vhost a prefix each, so they never take each other's tasks.
    queue_prefix: str = "portal"
    #: Redis connections one process may open; a burst beyond waits up to 2 s for a free one.
    redis_max_connections: int = 200
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
    #: API keys of service clients (sent as ``X-API-Key``); a valid key may act for any user.
    api_keys: tuple[str, ...] = attrs.field(default=(), repr=False)
    #: Shared secret of HS256 bearer tokens (JWTs) that end users present.
    jwt_secret: str = attrs.field(default="", repr=False)
    #: JWKS URL of the identity provider whose RS256 tokens end users present.
    jwt_jwks_url: str | None = None
    #: The ``aud`` claim bearer tokens must carry; not checked when unset.
    jwt_audience: str | None = None
    #: The ``iss`` claim bearer tokens must carry; not checked when unset.
    jwt_issuer: str | None = None
    #: Requests per client (a ``limits`` string, e.g. ``600/minute``); empty turns limiting off.
    rate_limit: str = "600/minute"

    @property
    def embedded(self) -> bool:
        """True when the store and the queue are the in-process ones."""
        return self.redis_url is None or self.broker_url is None

    @property
    def auth_enabled(self) -> bool:
        """True when requests to the API need credentials (API keys or bearer tokens)."""
        return bool(self.api_keys or self.jwt_secret or self.jwt_jwks_url)

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
        self._check_values()
        self._check_auth()
        self._check_rate_limit()

    def _check_values(self) -> None:
        """Refuse values that would start a server that cannot work."""
        problems = [
            f"PORTAL_{name.upper()} must be at least {low}, not {getattr(self, name)!r}"
            for name, low in _MINIMA.items()
            if getattr(self, name) < low
        ]
        if self.log_level.upper() not in _LOG_LEVELS:
            problems.append(
                f"PORTAL_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, not {self.log_level!r}"
            )
        if self.log_format not in (None, "console", "json"):
            problems.append(f"PORTAL_LOG_FORMAT must be console or json, not {self.log_format!r}")
        if not self.namespace.strip():
            problems.append("PORTAL_NAMESPACE must not be blank")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", self.queue_prefix):
            problems.append(
                f"PORTAL_QUEUE_PREFIX must be 1-64 letters, digits, '.', '_' or '-', "
                f"not {self.queue_prefix!r}"
            )
        for name, url, schemes in (
            ("PORTAL_REDIS_URL", self.redis_url, ("redis", "rediss", "unix")),
            ("PORTAL_BROKER_URL", self.broker_url, ("amqp", "amqps", "pyamqp")),
        ):
            if url is not None and urlsplit(url).scheme not in schemes:
                problems.append(
                    f"{name} must start with {' or '.join(s + '://' for s in schemes)}"
                    f", not {url.split('://')[0] + '://' if '://' in url else repr(url)}"
                )
        if problems:
            raise ConfigurationError("; ".join(problems))

    def _check_auth(self) -> None:
        # Messages name the variables, never their values: these are secrets.
        if self.environment == "production" and not self.auth_enabled:
            raise ConfigurationError(
                "PORTAL_ENVIRONMENT=production needs authentication: set PORTAL_API_KEYS "
                "(comma-separated keys for service clients, sent as X-API-Key) and/or "
                "PORTAL_JWT_SECRET (HS256) or PORTAL_JWT_JWKS_URL (RS256) for end users' "
                "bearer tokens. Generate a key with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if any(len(key) < MIN_API_KEY_LENGTH for key in self.api_keys):
            raise ConfigurationError(
                f"every key in PORTAL_API_KEYS must be at least {MIN_API_KEY_LENGTH} characters "
                "long; generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if self.jwt_secret and len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ConfigurationError(
                f"PORTAL_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (HS256 needs a "
                "256-bit key); generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.jwt_jwks_url and urlsplit(self.jwt_jwks_url).scheme not in ("http", "https"):
            raise ConfigurationError("PORTAL_JWT_JWKS_URL must be an http:// or https:// URL")
        if (self.jwt_audience or self.jwt_issuer) and not (self.jwt_secret or self.jwt_jwks_url):
            raise ConfigurationError(
                "PORTAL_JWT_AUDIENCE and PORTAL_JWT_ISSUER apply to bearer tokens: set "
                "PORTAL_JWT_SECRET or PORTAL_JWT_JWKS_URL too, or unset them"
            )

    @property
    def rate_limits(self) -> str:
        """The rate limit, or ``""`` when it is turned off (``PORTAL_RATE_LIMIT=off``)."""
        return "" if self.rate_limit.strip().lower() in ("", "off") else self.rate_limit

    def _check_rate_limit(self) -> None:
        if not self.rate_limits:
            return
        from limits import parse_many

        try:
            parse_many(self.rate_limit)
        except ValueError:
            raise ConfigurationError(
                f"PORTAL_RATE_LIMIT must read like '600/minute' or '10/second', not "
                f"{self.rate_limit!r}; set it to off to turn rate limiting off"
            ) from None


#: The smallest sensible value of each numeric setting.
_MINIMA: dict[str, float] = {
    "redis_max_connections": 1,
    "upstream_timeout": 0.1,
    "upstream_attempts": 1,
    "prefetch_timeout": 0.1,
    "breaker_failures": 1,
    "breaker_reset": 0,
    "max_stale": 0,
    "status_ttl": 1,
    "lock_ttl": 1,
    "notification_ttl": 1,
    "dismissal_ttl": 1,
    "task_soft_time_limit": 1,
    "max_deliveries": 1,
    "broker_timeout": 0.1,
    "max_body_bytes": 1024,
}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
