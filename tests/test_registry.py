"""Plugin loading: every plugin on its own, failures recorded, strict mode, selection, versions."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import attrs
import pytest

from portal_engine import hookimpl
from portal_engine.errors import PluginError
from portal_engine.registry import load_plugins
from portal_engine.settings import Settings
from tests.fakes import fake_type

TYPE_MODULE = """
from portal_engine import RecommendationType, hookimpl
from tests.fakes import Builder, NoFetch, Ranker
PORTAL_PLUGIN_API = {api}

@hookimpl
def register_types(registry):
    for name in {types!r}:
        registry.add(RecommendationType(name=name, description="d", fetchers=[NoFetch()],
                                        prompt_builder=Builder(), fallback_ranker=Ranker()))
"""

MODULES = {
    "pe_good": TYPE_MODULE.format(api=1, types=["alpha"]),
    "pe_beta": TYPE_MODULE.format(api=1, types=["beta"]),
    "pe_dupe": TYPE_MODULE.format(api=1, types=["alpha"]),
    "pe_future": TYPE_MODULE.format(api=99, types=["gamma"]),
    "pe_unversioned": "from portal_engine import hookimpl\n",
    "pe_broken": "raise RuntimeError('broken on purpose')\n",
    "pe_typo": textwrap.dedent(
        """
        from portal_engine import hookimpl
        PORTAL_PLUGIN_API = 1

        @hookimpl
        def register_typez(registry):
            pass
        """
    ),
}


@pytest.fixture
def entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fake installed plugins: write modules and serve chosen entry points for them."""
    for name, source in MODULES.items():
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    chosen: list[str] = []

    def fake() -> Iterator[EntryPoint]:
        for name in chosen:
            yield EntryPoint(name=name.removeprefix("pe_"), value=name, group="portal_engine")

    monkeypatch.setattr("portal_engine.registry._entry_points", fake)
    yield chosen
    for name in MODULES:
        sys.modules.pop(name, None)


def test_good_plugins_load_with_their_types(entry_points: list[str]) -> None:
    """Installed plugins register their types, each owned by its plugin."""
    entry_points += ["pe_good", "pe_beta"]
    plugins = load_plugins(strict=True)
    assert set(plugins.types) == {"alpha", "beta"}
    assert plugins.types["alpha"].plugin == "pe_good"
    assert not plugins.errors


def test_a_plugin_that_raises_on_import_is_recorded_and_harms_nothing(
    entry_points: list[str],
) -> None:
    """A plugin failing on import is recorded with its error; the others keep their types."""
    entry_points += ["pe_good", "pe_broken"]
    plugins = load_plugins()
    assert set(plugins.types) == {"alpha"}
    [failed] = plugins.errors
    assert failed.name == "broken" and "broken on purpose" in (failed.error or "")


def test_strict_mode_makes_a_failure_fatal_and_names_the_plugin(entry_points: list[str]) -> None:
    """With strict set (argument or PORTAL_STRICT_PLUGINS) any failure raises, naming it."""
    entry_points += ["pe_good", "pe_broken"]
    with pytest.raises(PluginError, match=r"pe_broken.*broken on purpose"):
        load_plugins(strict=True)
    with pytest.raises(PluginError, match="pe_broken"):
        load_plugins(Settings(strict_plugins=True))


def test_two_plugins_claiming_one_type_is_an_error_naming_both(entry_points: list[str]) -> None:
    """A type name claimed twice keeps the first owner and records an error naming both."""
    entry_points += ["pe_good", "pe_dupe"]
    plugins = load_plugins()
    assert plugins.types["alpha"].plugin == "pe_good"
    [failed] = plugins.errors
    assert "pe_good" in (failed.error or "") and "pe_dupe" in (failed.error or "")


def test_a_hook_that_does_not_exist_is_refused(entry_points: list[str]) -> None:
    """Implementing an unknown hook (a typo) is an error, not silently ignored."""
    entry_points += ["pe_typo"]
    [failed] = load_plugins().errors
    assert "register_typez" in (failed.error or "")


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("pe_future", "targets plugin-API version 99, but this core supports 1"),
        ("pe_unversioned", "declares no plugin-API version; add PORTAL_PLUGIN_API = 1"),
    ],
)
def test_an_incompatible_plugin_api_version_is_refused(
    entry_points: list[str], module: str, message: str
) -> None:
    """A plugin for another plugin-API version is refused, saying what this core supports."""
    entry_points += [module]
    plugins = load_plugins()
    assert not plugins.types
    assert message in (plugins.errors[0].error or "")


def test_selection_from_settings(entry_points: list[str]) -> None:
    """PORTAL_PLUGINS loads only the named plugins; PORTAL_DISABLE_PLUGINS skips some."""
    entry_points += ["pe_good", "pe_beta", "pe_broken"]
    only = load_plugins(Settings(plugins=("good",), strict_plugins=True))
    assert set(only.types) == {"alpha"}
    skipped = load_plugins(Settings(disable_plugins=("broken", "beta"), strict_plugins=True))
    assert set(skipped.types) == {"alpha"}


def test_only_types_imports_only_the_owner(entry_points: list[str]) -> None:
    """A worker for one type does not import other plugins when entry points are named by type."""
    entry_points += ["pe_good", "pe_beta", "pe_broken"]
    plugins = load_plugins(only_types=["beta"], strict=True)
    assert set(plugins.types) == {"beta"}
    assert "pe_broken" not in sys.modules and "pe_good" not in sys.modules


def test_only_types_names_a_missing_type(entry_points: list[str]) -> None:
    """Asking for a type no plugin provides says which types exist."""
    entry_points += ["pe_good"]
    with pytest.raises(PluginError, match=r"no installed plugin provides type.*nope.*alpha"):
        load_plugins(only_types=["nope"])


def test_builtin_plugins_are_recorded_with_their_hooks(entry_points: list[str]) -> None:
    """The core's own notifications and dismissals are plugins on the same hooks."""
    records = {r.name: r for r in load_plugins().records}
    assert records["portal_engine.notifications"].hooks == ["on_set_ready"]
    assert records["portal_engine.dismissals"].hooks == ["exclude_items"]


def test_queue_prefix_names_default_queues_only(entry_points: list[str]) -> None:
    """PORTAL_QUEUE_PREFIX renames default queues; a queue a plugin chose itself is kept."""
    entry_points += ["pe_good"]

    class OwnQueue:
        @hookimpl
        def register_types(self, registry: Any) -> None:
            registry.add(attrs.evolve(fake_type("own"), queue="special.queue"))

    plugins = load_plugins(
        Settings(queue_prefix="staging"), strict=True, extra=[("own", OwnQueue())]
    )
    assert plugins.types["alpha"].queue == "staging.alpha"
    assert plugins.types["own"].queue == "special.queue"
    assert load_plugins(strict=True).types["alpha"].queue == "portal.alpha"
