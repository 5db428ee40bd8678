"""The plugin manager: finds plugins through entry points and collects their types.

Each entry point is loaded and asked for its types on its own, so a plugin that fails to import,
claims a type another plugin owns, or breaks in ``register_types`` is recorded with its error
while every other plugin keeps working. ``strict`` turns any such record into a start-up error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points

import attrs
import pluggy
import structlog

from portal_engine import hookspecs
from portal_engine.errors import PluginError
from portal_engine.plugin_api import RecommendationType
from portal_engine.settings import Settings

log = structlog.get_logger(__name__)

#: Queues are named ``<prefix>.<type>``; PORTAL_QUEUE_PREFIX changes the prefix.
DEFAULT_QUEUE_PREFIX = "portal"

#: Plugin-API versions this core speaks; a plugin declares its own as ``PORTAL_PLUGIN_API``.
SUPPORTED_PLUGIN_API: tuple[int, ...] = (1,)

#: Plugins the core registers itself; their behaviour uses the same hooks as everyone's.
BUILTIN_PLUGINS = ("portal_engine.notifications", "portal_engine.dismissals")


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

    def __init__(
        self,
        owners: dict[str, RecommendationType],
        record: PluginRecord,
        queue_prefix: str = DEFAULT_QUEUE_PREFIX,
    ) -> None:
        self._types = owners
        self._record = record
        self._queue_prefix = queue_prefix

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
        queue = rtype.queue
        if queue == f"{DEFAULT_QUEUE_PREFIX}.{rtype.name}":  # the default, not the plugin's own
            queue = f"{self._queue_prefix}.{rtype.name}"
        self._types[rtype.name] = attrs.evolve(
            rtype,
            queue=queue,
            plugin=self._record.distribution,
            plugin_version=self._record.version,
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
    settings: Settings | None = None,
    *,
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    strict: bool | None = None,
    extra: Sequence[tuple[str, object]] = (),
    only_types: Iterable[str] | None = None,
) -> Plugins:
    """Load the built-in plugins, the ``portal_engine`` entry points, and ``extra`` ones.

    Which entry points load, and whether a failure is fatal, come from ``settings``
    (``PORTAL_PLUGINS``, ``PORTAL_DISABLE_PLUGINS``, ``PORTAL_STRICT_PLUGINS``); the keyword
    arguments override them.

    Args:
        settings: where the selection comes from; defaults when ``None``.
        only: entry-point names to load; all when ``None``.
        skip: entry-point names not to load.
        strict: raise instead of recording a failing plugin.
        extra: ``(name, plugin)`` pairs registered as if found through entry points (tests).
        only_types: keep only these types (a worker for some queues). Entry points named like
            a wanted type are tried first, so the plugins of other types are not even imported
            when every wanted type is found that way.

    Raises:
        PluginError: ``strict`` is set and a plugin failed, or a type in ``only_types`` has no
            plugin.
    """
    settings = settings or Settings()
    if only is None and settings.plugins:
        only = settings.plugins
    skipped = set(settings.disable_plugins if skip is None else skip)
    strict = settings.strict_plugins if strict is None else strict
    if only_types is None:
        return _load(only, skipped, strict, extra, settings.queue_prefix)
    wanted = set(only_types)
    if only is None:
        first = _load(wanted, skipped, strict, extra, settings.queue_prefix)
        if wanted <= first.types.keys():
            return _restrict(first, wanted)
    return _restrict(_load(only, skipped, strict, extra, settings.queue_prefix), wanted)


def _check_api_version(plugin: object) -> None:
    """Refuse a plugin that targets a plugin-API version this core does not speak."""
    declared = getattr(plugin, "PORTAL_PLUGIN_API", None)
    supported = ", ".join(str(v) for v in SUPPORTED_PLUGIN_API)
    if declared is None:
        raise PluginError(
            f"it declares no plugin-API version; add PORTAL_PLUGIN_API = "
            f"{max(SUPPORTED_PLUGIN_API)} to the module its entry point names "
            f"(this core supports {supported})"
        )
    if declared not in SUPPORTED_PLUGIN_API:
        raise PluginError(
            f"it targets plugin-API version {declared!r}, but this core supports {supported}; "
            "install a portal-engine release that supports it, or update the plugin"
        )


def _load(
    only: Iterable[str] | None,
    skipped: set[str],
    strict: bool,
    extra: Sequence[tuple[str, object]],
    queue_prefix: str = DEFAULT_QUEUE_PREFIX,
) -> Plugins:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    records: list[PluginRecord] = []
    wanted = set(only) if only is not None else None

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
                _check_api_version(plugin)
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
            impl.function(registry=TypeRegistry(types, record, queue_prefix))
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
