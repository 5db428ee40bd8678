"""The ``portal-engine`` command line."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import click

from portal_engine import __version__
from portal_engine.errors import PortalError


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


class _Group(click.Group):
    """Turns a :class:`PortalError` into one readable line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PortalError as exc:
            _fail(str(exc))


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="portal-engine")
def main() -> None:
    """Portal Engine: personalised, LLM-generated recommendations, one plugin per type."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--services-only", is_flag=True, help="Run only the stand-in external services.")
def demo(host: str, port: int, services_only: bool) -> None:
    """Run everything in one process on embedded defaults, with stand-in services."""
    from portal_engine.demo.run import run_demo, run_services_only

    if services_only:
        run_services_only(host, port)
    else:
        run_demo(host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="API processes."
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API on Hypercorn, configured from PORTAL_* settings."""
    from portal_engine.logs import configure_logging
    from portal_engine.server import check_dependencies, check_port, hypercorn_config, run_asgi
    from portal_engine.settings import load_settings

    check_port(host, port)
    settings = load_settings()
    configure_logging(settings)
    check_dependencies(settings)
    if workers > 1:
        if settings.embedded:
            _fail(
                "--workers > 1 needs PORTAL_REDIS_URL and PORTAL_BROKER_URL: embedded "
                "state lives in one process"
            )
        from hypercorn.run import run

        config = hypercorn_config(
            host, port, workers=workers, application_path="portal_engine.api.asgi:app"
        )
        sys.exit(run(config))
    from portal_engine.api.app import create_app
    from portal_engine.registry import load_plugins

    if settings.embedded:
        click.echo(
            "embedded mode: in-process store, queue and worker (set PORTAL_REDIS_URL "
            "and PORTAL_BROKER_URL for production)",
            err=True,
        )
    run_asgi(create_app(settings, load_plugins(settings)), hypercorn_config(host, port))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--type", "types", multiple=True, help="A type whose queue to consume (repeat).")
@click.pass_context
def worker(ctx: click.Context, types: tuple[str, ...]) -> None:
    """Run a Celery worker for the queues of the given types (all when none).

    Other options go to Celery as they are: --concurrency, --hostname, --loglevel, ...
    """
    from portal_engine.server import check_dependencies
    from portal_engine.settings import load_settings

    settings = load_settings()
    if settings.embedded:
        _fail(
            "a separate worker needs PORTAL_REDIS_URL and PORTAL_BROKER_URL; in embedded "
            "mode `portal-engine serve` or `demo` runs its worker in-process"
        )
    check_dependencies(settings)
    from portal_engine.worker import TYPES_ENV, default_app, queues_for

    os.environ[TYPES_ENV] = ",".join(types)
    app = default_app()
    queues = [q.name for q in queues_for(app.portal_plugins, only=list(types) or None)]
    if not queues:
        _fail("no types to serve: install a plugin (see `portal-engine plugins`)")
    extra = list(ctx.args)
    if not any(arg in ("-n", "--hostname") or arg.startswith("--hostname=") for arg in extra):
        # Celery's default node name is celery@HOST: a second worker on the same host would
        # collide with the first on the broker ("ResourceLocked ... pidbox") and die.
        label = "-".join(types) or "all"
        extra += ["--hostname", f"portal-{label}-{os.getpid()}@%h"]
    app.worker_main(["worker", "-Q", ",".join(queues), *extra])


@main.command()
@click.option(
    "--interval",
    default=60,
    show_default=True,
    type=click.IntRange(1, 86400),
    help="Seconds between scans.",
)
def beat(interval: int) -> None:
    """Refresh the sets of recently active users before they expire."""
    from portal_engine.logs import configure_logging
    from portal_engine.scheduler import run_scheduler
    from portal_engine.server import check_dependencies
    from portal_engine.settings import load_settings

    settings = load_settings()
    if settings.embedded:
        _fail(
            "beat needs PORTAL_REDIS_URL and PORTAL_BROKER_URL (in embedded mode nothing "
            "outside the demo's process can see its store)"
        )
    configure_logging(settings)
    check_dependencies(settings)
    asyncio.run(run_scheduler(settings, interval))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List every discovered plugin, its types, queues, hooks and load errors."""
    import attrs

    from portal_engine.logs import configure_logging
    from portal_engine.registry import load_plugins
    from portal_engine.settings import load_settings

    settings = load_settings()
    configure_logging(settings)  # logs go to stderr, so --json output stays parseable
    loaded = load_plugins(settings, strict=False)
    rows = []
    for record in loaded.records:
        row = attrs.asdict(record)
        row["queues"] = sorted({loaded.types[t].queue for t in record.types if t in loaded.types})
        row["status"] = "ok" if record.ok else "error"
        rows.append(row)
    if as_json:
        click.echo(json.dumps({"plugins": rows}, indent=2))
    else:
        for row in rows:
            mark = (
                click.style("ok", fg="green")
                if row["status"] == "ok"
                else click.style("error", fg="red")
            )
            click.echo(f"{row['distribution']} {row['version']} ({row['name']}): {mark}")
            if row["types"]:
                click.echo(f"  types:  {', '.join(row['types'])}")
                click.echo(f"  queues: {', '.join(row['queues'])}")
            click.echo(f"  hooks:  {', '.join(row['hooks']) or '-'}")
            if row["error"]:
                click.echo(f"  error:  {row['error']}")
    if settings.strict_plugins and loaded.errors:
        sys.exit(1)


@main.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to create the package's folder.",
)
def new_plugin(name: str, directory: str) -> None:
    """Create a plugin package for a new type NAME, ready to install and test."""
    from pathlib import Path

    from portal_engine.scaffold import create_plugin

    try:
        target = create_plugin(name, Path(directory))
    except (ValueError, FileExistsError) as exc:
        _fail(str(exc))
        return
    click.echo(
        "\n".join(
            [
                f"created {target} with the type {name!r}; next, in this environment:",
                f"  pip install -e '{target}[test]'",
                f"  pytest {target}",
                "  portal-engine plugins",
            ]
        )
    )


@main.command()
@click.argument("user_id")
@click.option("--type", "types", multiple=True, help="Only this type (repeat); all when none.")
@click.option("--wait", is_flag=True, help="Wait for the tasks and print their outcome.")
@click.option("--timeout", default=300, show_default=True, type=click.IntRange(1, 3600))
def refresh(user_id: str, types: tuple[str, ...], wait: bool, timeout: int) -> None:
    """Refresh one user's recommendations from the shell."""
    import re

    from portal_engine.api.schemas import USER_ID_PATTERN, USER_ID_RULE
    from portal_engine.settings import load_settings

    # The API's rule, so the shell cannot store what no request could ever read back.
    if len(user_id) > 128 or not re.match(USER_ID_PATTERN, user_id):
        _fail(USER_ID_RULE)
    settings = load_settings()
    if settings.embedded:
        _fail(
            "refresh from the shell needs PORTAL_REDIS_URL and PORTAL_BROKER_URL; against a "
            "running demo use: curl -X POST "
            f"http://127.0.0.1:8000/api/v1/recommendations/refresh/{user_id} -d '{{}}'"
        )
    ok = asyncio.run(_refresh(settings, user_id, list(types), wait, timeout))
    sys.exit(0 if ok else 1)


async def _refresh(settings: Any, user_id: str, types: list[str], wait: bool, timeout: int) -> bool:
    from portal_engine.redis_client import connect
    from portal_engine.refreshes import start_refresh
    from portal_engine.registry import load_plugins
    from portal_engine.store import Store
    from portal_engine.worker.celery_app import create_celery

    plugins = load_plugins(settings, only_types=types or None)
    celery = create_celery(settings, plugins)
    store = Store(connect(settings), settings)
    try:
        tasks = {}
        for rtype in sorted(plugins.types.values(), key=lambda t: t.name):
            tasks[rtype.name] = await start_refresh(store, celery, rtype, user_id)
            click.echo(f"{rtype.name}: task {tasks[rtype.name]}")
        if not wait:
            return True
        deadline = time.monotonic() + timeout
        pending = dict(tasks)
        ok = True
        while pending and time.monotonic() < deadline:
            for name, task_id in list(pending.items()):
                status = await store.get_status(task_id)
                if status is not None and status.state in ("success", "failure"):
                    del pending[name]
                    ok &= status.state == "success"
                    detail = f": {status.error}" if status.error else ""
                    click.echo(f"{name}: {status.state}{detail}")
            await asyncio.sleep(0.2)
        for name in pending:
            click.echo(
                f"{name}: still running after {timeout}s (is a worker consuming "
                f"{plugins.types[name].queue}?)"
            )
        return ok and not pending
    finally:
        await store.close()
