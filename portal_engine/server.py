"""Running ASGI apps on Hypercorn, and checking dependencies before production start-up."""

from __future__ import annotations

import asyncio
import signal
import socket
from typing import Any

import redis
from hypercorn.asyncio import serve
from hypercorn.config import Config
from kombu.connection import Connection

from portal_engine.errors import ConfigurationError
from portal_engine.settings import Settings


def hypercorn_config(host: str, port: int, **options: Any) -> Config:
    """A Hypercorn config bound to ``host:port`` with our defaults."""
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.graceful_timeout = 5
    for name, value in options.items():
        setattr(config, name, value)
    return config


def check_port(host: str, port: int) -> None:
    """Fail with a one-line error when ``host:port`` cannot be listened on.

    Raises:
        ConfigurationError: the port is taken (or the address is not this machine's).
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {host}:{port} ({exc.strerror}); stop what runs there or "
                "choose another port with --port"
            ) from None


def run_asgi(app: Any, config: Config) -> None:
    """Serve ``app`` until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(main())


def check_dependencies(settings: Settings) -> None:
    """Fail fast, naming what is unreachable, when Redis or the broker does not answer.

    Raises:
        ConfigurationError: Redis or the broker cannot be reached within a few seconds.
    """
    if settings.redis_url is not None:
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=3, socket_timeout=3
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ConfigurationError(
                f"cannot reach Redis at PORTAL_REDIS_URL ({_safe(settings.redis_url)}): {exc}"
            ) from None
        finally:
            client.close()
    if settings.broker_url is not None:
        with Connection(settings.broker_url, connect_timeout=settings.broker_timeout) as conn:
            try:
                conn.ensure_connection(
                    max_retries=1,
                    interval_start=0,
                    interval_step=0,
                    timeout=settings.broker_timeout,
                )
            except Exception as exc:
                raise ConfigurationError(
                    f"cannot reach the broker at PORTAL_BROKER_URL "
                    f"({_safe(settings.broker_url)}): {exc}"
                ) from None


def _safe(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
