"""``portal-engine demo``: the whole system in one process, or only the stand-in services."""

from __future__ import annotations

import os

import attrs
import click
from hypercorn.middleware import DispatcherMiddleware

from portal_engine.api.app import create_app
from portal_engine.demo.standins import create_standins_app
from portal_engine.logs import configure_logging
from portal_engine.registry import load_plugins
from portal_engine.server import check_port, hypercorn_config, run_asgi
from portal_engine.settings import Settings, load_settings

#: Where the stand-ins live inside the demo's one server.
STANDINS_PREFIX = "/standins"


def standin_settings(base: str) -> dict[str, str]:
    """The settings that point the engine at stand-ins served under ``base``."""
    return {
        "PORTAL_USER_PROFILE_URL": f"{base}/user-profile",
        "PORTAL_LIE_URL": f"{base}/lie",
        "PORTAL_CIS_URL": f"{base}/cis",
        "PORTAL_PREFETCH_URL": f"{base}/prefetch",
    }


def demo_settings(host: str, port: int) -> Settings:
    """The environment's settings, but embedded store and queue and the demo's stand-ins."""
    urls = standin_settings(f"http://{host}:{port}{STANDINS_PREFIX}")
    return attrs.evolve(
        load_settings(env=_demo_environ()),
        environment="development",
        redis_url=None,
        broker_url=None,
        user_profile_url=urls["PORTAL_USER_PROFILE_URL"],
        lie_url=urls["PORTAL_LIE_URL"],
        cis_url=urls["PORTAL_CIS_URL"],
        prefetch_url=urls["PORTAL_PREFETCH_URL"],
    )


def _demo_environ() -> dict[str, str]:
    # The demo is embedded whatever the shell says: drop what would make it otherwise.
    ignored = (
        "PORTAL_ENVIRONMENT",
        "PORTAL_REDIS_URL",
        "PORTAL_BROKER_URL",
        "REDIS_HOST",
        "CELERY_BROKER_URL",
    )
    return {k: v for k, v in os.environ.items() if k not in ignored}


def run_demo(host: str, port: int) -> None:
    """Serve the API, an in-process worker and the stand-ins on one port until interrupted."""
    check_port(host, port)
    settings = demo_settings(host, port)
    configure_logging(settings)
    plugins = load_plugins(settings)
    api = create_app(settings, plugins)
    app = DispatcherMiddleware({STANDINS_PREFIX: create_standins_app(), "": api})
    base = f"http://{host}:{port}"
    recommend = [
        f"  recommend  curl '{base}/api/v1/recommendations/{name}?user_id=user-1'"
        for name in sorted(plugins.types)
    ] or ["  recommend  (no type installed: see `portal-engine plugins`)"]
    lines = [
        f"Portal Engine demo on {base} (embedded store and queue, stand-in services,",
        "synthetic users user-1 … user-50). Nothing here is meant for production.",
        "",
        f"  types      curl {base}/api/v1/recommendations/types",
        *recommend,
        "             (202 with a status_url on a cold cache; poll it, then GET again)",
        f"  notify     curl '{base}/api/v1/notifications/?user_id=user-1'",
        f"  docs       {base}/docs   {base}/redoc   {base}/openapi.json",
        f"  health     curl {base}/api/v1/health/",
        "",
        "Press Ctrl+C to stop.",
    ]
    click.echo("\n".join(lines))
    run_asgi(app, hypercorn_config(host, port))


def run_services_only(host: str, port: int) -> None:
    """Serve only the stand-in services; print the settings that point the engine at them."""
    check_port(host, port)
    for name, value in standin_settings(f"http://{host}:{port}").items():
        click.echo(f"{name}={value}")
    click.echo(f"# stand-in services on http://{host}:{port}; Ctrl+C to stop", err=True)
    run_asgi(create_standins_app(), hypercorn_config(host, port))
