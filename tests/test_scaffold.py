"""``portal-engine new-plugin``: the package it writes, the names it refuses, and its tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal_engine.cli import main
from portal_engine.scaffold import PluginNames, create_plugin


def _entry_points(package_dir: Path) -> dict[str, str]:
    pyproject = tomllib.loads((package_dir / "pyproject.toml").read_text())
    entry_points: dict[str, str] = pyproject["project"]["entry-points"]["portal_engine"]
    return entry_points


def _as_if_installed(package_dir: Path, site: Path) -> None:
    """Write the metadata ``pip install`` would, so the entry point is found on ``site``.

    Only ``site`` and the package's own folder go on the test run's ``sys.path``; the
    environment running these tests is left as it is.
    """
    pyproject = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{pyproject['name'].replace('-', '_')}-{pyproject['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {pyproject['name']}\nVersion: {pyproject['version']}\n"
    )
    lines = [f"{name} = {value}" for name, value in _entry_points(package_dir).items()]
    (dist_info / "entry_points.txt").write_text("[portal_engine]\n" + "\n".join(lines) + "\n")


def test_names_follow_the_type_name() -> None:
    """The package and distribution names are made from the type name, '_' becoming '-'."""
    names = PluginNames.for_type("city_walks")
    assert names.package == "portal_engine_city_walks"
    assert names.distribution == "portal-engine-city-walks"


def test_the_package_has_every_file(tmp_path: Path) -> None:
    """The package holds pyproject, module, tests, tox.ini and README, wired to one another."""
    target = create_plugin("sample", tmp_path)
    assert target == tmp_path / "portal-engine-sample"
    files = {str(path.relative_to(target)) for path in target.rglob("*") if path.is_file()}
    assert files == {
        "pyproject.toml",
        "tox.ini",
        "README.md",
        "portal_engine_sample/__init__.py",
        "tests/test_sample.py",
    }
    assert _entry_points(target) == {"sample": "portal_engine_sample"}
    module = (target / "portal_engine_sample" / "__init__.py").read_text()
    assert "PORTAL_PLUGIN_API = 1" in module and 'name="sample"' in module
    assert "[testenv]" in (target / "tox.ini").read_text()
    assert "$" not in "".join((target / name).read_text() for name in files)


@pytest.mark.parametrize(
    "name", ["Sample", "1st", "with-dash", "with space", "", "x" * 41, "types", "status"]
)
def test_an_invalid_type_name_is_refused(tmp_path: Path, name: str) -> None:
    """A name the engine would refuse for a type is refused before anything is written."""
    result = CliRunner().invoke(main, ["new-plugin", name, "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"type name {name!r}" in result.output
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    """A second run for the same name fails with exit code 1 and leaves the first one alone."""
    first = CliRunner().invoke(main, ["new-plugin", "sample", "--dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "pip install -e" in first.output
    init = tmp_path / "portal-engine-sample" / "portal_engine_sample" / "__init__.py"
    init.write_text("# edited\n")
    second = CliRunner().invoke(main, ["new-plugin", "sample", "--dir", str(tmp_path)])
    assert second.exit_code == 1
    assert "already exists" in second.output
    assert init.read_text() == "# edited\n"


def test_the_generated_tests_pass_as_generated(tmp_path: Path) -> None:
    """pytest on the new package's own tests passes, its type found through its entry point."""
    target = create_plugin("city_walks", tmp_path / "plugins")
    site = tmp_path / "site"
    _as_if_installed(target, site)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(target)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed" in run.stdout


def test_a_name_whose_plugin_is_installed_is_refused(tmp_path: Path) -> None:
    """new-plugin dining is refused while portal-engine-dining is installed (it would go)."""
    from portal_engine.scaffold import create_plugin

    with pytest.raises(ValueError, match=r"portal-engine-dining .* is already installed"):
        create_plugin("dining", tmp_path)
    assert not any(tmp_path.iterdir())
