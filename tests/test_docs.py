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
    assert tests.endswith("pytest")


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
