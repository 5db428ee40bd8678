"""The README, env.example and CI stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from portal_engine.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, re.DOTALL)[:2]


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    """The README's first two commands run the demo and the tests."""
    demo, tests = _readme_commands()
    assert demo.endswith("portal-engine demo")
    for plugin in ("dining", "events", "offers"):
        assert f"-e plugins/{plugin}" in demo
    assert tests.endswith("tox")


def test_tox_runs_every_first_party_plugin_and_the_example() -> None:
    """tox's default envs cover the core, every plugin folder, the example, lint and types."""
    text = (ROOT / "tox.ini").read_text()
    env_list = re.search(r"^env_list = (.*)$", text, re.MULTILINE)
    assert env_list is not None
    envs = {e.strip() for e in env_list.group(1).split(",")}
    plugins = {p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()}
    assert {"core", "hello", "lint", "type"} | plugins <= envs


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run runs exactly the README's test command, so CI tests what a newcomer runs."""
    _, tests = _readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines


def test_env_example_lists_every_setting_with_its_default() -> None:
    """Every Settings field appears in env.example with the code's default value."""
    text = (ROOT / "env.example").read_text()
    listed = dict(re.findall(r"^(PORTAL_[A-Z_]+)=(.*)$", text, re.MULTILINE))
    for field in attrs.fields(Settings):
        name = f"PORTAL_{field.name.upper()}"
        assert name in listed, f"{name} is missing from env.example"
        default = field.default
        if isinstance(default, bool):
            expected = "1" if default else "0"
        elif isinstance(default, tuple):
            expected = ",".join(default)
        else:
            expected = "" if default is None else str(default)
        assert listed[name] == expected, f"{name}: env.example says {listed[name]!r}"
