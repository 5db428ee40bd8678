"""The ``portal-engine`` command line: clear errors, parseable output."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal_engine.cli import main


@pytest.fixture
def broken_plugin_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A plugin that raises on import, found through an entry point."""
    (tmp_path / "pe_cli_broken.py").write_text("raise RuntimeError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def fake() -> Iterator[EntryPoint]:
        yield EntryPoint(name="broken", value="pe_cli_broken", group="portal_engine")

    monkeypatch.setattr("portal_engine.registry._entry_points", fake)
    monkeypatch.setenv("PORTAL_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.delenv("PORTAL_STRICT_PLUGINS", raising=False)
    yield


def test_plugins_json_is_parseable_and_shows_the_broken_plugin(
    broken_plugin_installed: None,
) -> None:
    """`plugins --json` prints only JSON on stdout, with the failing plugin and its error."""
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)["plugins"]}
    assert rows["broken"]["status"] == "error"
    assert "broken on purpose" in rows["broken"]["error"]
    assert rows["portal_engine.notifications"]["status"] == "ok"


def test_plugins_exits_nonzero_in_strict_mode(
    broken_plugin_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PORTAL_STRICT_PLUGINS=1 a broken plugin makes `plugins` fail."""
    monkeypatch.setenv("PORTAL_STRICT_PLUGINS", "1")
    assert CliRunner().invoke(main, ["plugins"]).exit_code == 1


def test_demo_on_a_taken_port_is_a_one_line_error() -> None:
    """A port already in use is reported in one line, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.output


def test_worker_in_embedded_mode_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A separate worker without Redis and a broker explains that it needs them."""
    monkeypatch.setenv("PORTAL_ENV_FILE", str(tmp_path / "none.env"))
    for name in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL", "REDIS_HOST", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["worker", "--type", "dining"])
    assert result.exit_code == 1
    assert "PORTAL_REDIS_URL and PORTAL_BROKER_URL" in result.stderr


def test_bad_setting_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A malformed setting names the variable instead of raising a traceback."""
    monkeypatch.setenv("PORTAL_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("PORTAL_UPSTREAM_ATTEMPTS", "many")
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 1
    assert "PORTAL_UPSTREAM_ATTEMPTS must be a number" in result.stderr


def test_refresh_refuses_an_id_the_api_would_refuse() -> None:
    """`refresh` applies the API's user-id rule, control characters included."""
    result = CliRunner().invoke(main, ["refresh", "a\x01b"])
    assert result.exit_code == 1
    assert "user_id must be 1-128 characters without control characters" in result.stderr
