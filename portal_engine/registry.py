"""The plugin manager: finds plugins through entry points and collects their types.

Each entry point is loaded and asked for its types on its own, so a plugin that fails to import,
claims a type another plugin owns, or breaks in ``register_types`` is recorded with its error
while every other plugin keeps working. ``strict`` turns any such record into a start-up error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.metadata import EntryPoint, entry_points

import attrs
import pluggy
import structlog

from portal_engine import hookspecs
from portal_engine.errors import PluginError
from portal_engine.plugin_api import RecommendationType

log = structlog.get_logger(__name__)

#: Plugins the core registers itself; their behaviour uses the same hooks as everyone's.
BUILTIN_PLUGINS = ("portal_engine.notifications",)


@attrs.define
class PluginRecord:
    """What is known about one plugin: where it came from, what it added, what went wrong."""

    name: str
    distribution: str
    version: str
    types: list[str] = attrs.field(factory=list)
    hooks: list[str] = attrs.field(factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the plugin loaded and registered without error."""
        return self.error is None


class TypeRegistry:
    """The types one plugin registers into; handed to ``register_types``."""

    def __init__(self, owners: dict[str, RecommendationType], record: PluginRecord) -> None:
        self._types = owners
        self._record = record

    def add(self, rtype: RecommendationType) -> None:
        """Register ``rtype`` for this plugin.

        Raises:
            PluginError: another plugin already owns a type of that name.
        """
        owner = self._types.get(rtype.name)
        if owner is not None:
            raise PluginError(
                f"type {rtype.name!r} is registered by both {owner.plugin!r} and "
                f"{self._record.distribution!r}; uninstall or disable one of them"
            )
        self._types[rtype.name] = attrs.evolve(
            rtype, plugin=self._record.distribution, plugin_version=self._record.version
        )
        self._record.types.append(rtype.name)


@attrs.frozen
class Plugins:
    """The loaded plugins: the pluggy manager, every type by name, and a record per plugin."""

    manager: pluggy.PluginManager
    types: dict[str, RecommendationType]
    records: list[PluginRecord]

    def get(self, name: str) -> RecommendationType | None:
        """The type called ``name``, or ``None``."""
        return self.types.get(name)

    @property
    def errors(self) -> list[PluginRecord]:
        """Records of the plugins that failed."""
        return [record for record in self.records if not record.ok]


def _entry_points() -> Iterator[EntryPoint]:
    yield from entry_points(group=hookspecs.PROJECT)


def _record_for(entry_point: EntryPoint) -> PluginRecord:
    dist = entry_point.dist
    return PluginRecord(
        name=entry_point.name,
        distribution=dist.name if dist is not None else entry_point.value,
        version=dist.version if dist is not None else "",
    )


def load_plugins(
    *,
    only: Iterable[str] | None = None,
    skip: Iterable[str] = (),
    strict: bool = False,
    extra: Iterable[tuple[str, object]] = (),
    only_types: Iterable[str] | None = None,
) -> Plugins:
    """Load the built-in plugins, every ``portal_engine`` entry point, and ``extra`` ones.

    Args:
        only: entry-point names to load; all when ``None``.
        skip: entry-point names not to load.
        strict: raise instead of recording a failing plugin.
        extra: ``(name, plugin)`` pairs registered as if found through entry points (tests).
        only_types: keep only these types (a worker for some queues). Entry points named like
            a wanted type are tried first, so the plugins of other types are not even imported
            when every wanted type is found that way.

    Raises:
        PluginError: ``strict`` is set and a plugin failed.
    """
    if only_types is None:
        return _load(only, skip, strict, extra)
    wanted = set(only_types)
    if only is None:
        first = _load(wanted, skip, strict, extra)
        if wanted <= first.types.keys():
            return _restrict(first, wanted)
    return _restrict(_load(only, skip, strict, extra), wanted)


def _load(
    only: Iterable[str] | None,
    skip: Iterable[str],
    strict: bool,
    extra: Iterable[tuple[str, object]],
) -> Plugins:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    records: list[PluginRecord] = []
    wanted = set(only) if only is not None else None
    skipped = set(skip)

    for module_name in BUILTIN_PLUGINS:
        module = __import__(module_name, fromlist=["_"])
        manager.register(module, name=module_name)
        records.append(PluginRecord(module_name, "portal-engine", _core_version()))

    candidates: list[tuple[PluginRecord, object | None, EntryPoint | None]] = []
    for found in _entry_points():
        if found.name in skipped or (wanted is not None and found.name not in wanted):
            continue
        candidates.append((_record_for(found), None, found))
    for name, plugin in extra:
        candidates.append((PluginRecord(name, name, ""), plugin, None))

    for record, plugin, entry_point in candidates:
        registered = False
        try:
            if entry_point is not None:
                plugin = entry_point.load()
            manager.register(plugin, name=record.name)
            registered = True
            manager.check_pending()
        except Exception as exc:  # a broken plugin must not take the host down
            if registered:
                manager.unregister(name=record.name)
            record.error = f"{type(exc).__name__}: {exc}"
        records.append(record)

    types: dict[str, RecommendationType] = {}
    by_name = {record.name: record for record in records}
    for impl in manager.hook.register_types.get_hookimpls():
        record = by_name[impl.plugin_name]
        try:
            impl.function(registry=TypeRegistry(types, record))
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
    for record in records:
        plugin = manager.get_plugin(record.name)
        if plugin is not None:
            record.hooks = sorted(caller.name for caller in manager.get_hookcallers(plugin) or ())
        if record.error is not None:
            log.error("plugin failed", plugin=record.name, error=record.error)
    failed = [record for record in records if record.error]
    if strict and failed:
        raise PluginError(
            "; ".join(f"plugin {r.distribution} ({r.name}) failed: {r.error}" for r in failed)
        )
    return Plugins(manager=manager, types=types, records=records)


def _restrict(plugins: Plugins, wanted: set[str]) -> Plugins:
    """Keep the ``wanted`` types of ``plugins``; raise naming any that no plugin provides."""
    missing = wanted - plugins.types.keys()
    if missing:
        raise PluginError(
            f"no installed plugin provides type(s) {', '.join(sorted(missing))}; "
            f"known types: {', '.join(sorted(plugins.types)) or 'none'}"
        )
    types = {name: t for name, t in plugins.types.items() if name in wanted}
    return Plugins(manager=plugins.manager, types=types, records=plugins.records)


def _core_version() -> str:
    from portal_engine import __version__

    return __version__


__all__ = ["PluginRecord", "Plugins", "TypeRegistry", "load_plugins"]
