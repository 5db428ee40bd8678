"""``portal-engine new-plugin``: write a new recommendation-type package, ready to install and test.

The package holds a working type (a fetcher against the User Profile service, a prompt builder
and a fallback ranker), tests on :mod:`portal_engine.testing`, a ``tox.ini`` and a README. Its
files are the ``string.Template`` files in ``portal_engine/scaffold_templates/``; ``$name``,
``$package``, ``$distribution`` and ``$core_version`` are filled in.
"""

from __future__ import annotations

import string
from importlib import metadata, resources
from pathlib import Path

import attrs

from portal_engine import __version__
from portal_engine.plugin_api import RecommendationType

#: Each file of a new package, by its path (``{package}`` and ``{type}`` filled in), and the
#: template it is written from.
TEMPLATES: dict[str, str] = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "tox.ini": "tox.ini.tmpl",
    "README.md": "README.md.tmpl",
    "{package}/__init__.py": "package_init.py.tmpl",
    "tests/test_{type}.py": "test_type.py.tmpl",
}


@attrs.frozen
class PluginNames:
    """The names of a new plugin, all made from its type name.

    Args:
        type: the type name, which is also the entry point's name (``hello``).
        package: the import package (``portal_engine_hello``).
        distribution: the pip distribution and the folder it is written to
            (``portal-engine-hello``; an ``_`` in the type name becomes ``-``).
    """

    type: str
    package: str
    distribution: str

    @classmethod
    def for_type(cls, name: str) -> PluginNames:
        """The names of the plugin for type ``name``.

        Raises:
            ValueError: ``name`` cannot name a type; the message says why.
        """
        check_type_name(name)
        return cls(
            type=name,
            package=f"portal_engine_{name}",
            distribution=f"portal-engine-{name.replace('_', '-')}",
        )


def check_type_name(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a valid, unreserved type name.

    The check is :class:`~portal_engine.plugin_api.RecommendationType`'s own validator, so a
    scaffolded plugin can never be refused at load time for its name.
    """
    field = attrs.fields(RecommendationType).name
    if field.validator is not None:  # always set; the check keeps mypy sure of it
        field.validator(None, field, name)


def render(names: PluginNames) -> dict[str, str]:
    """Every file of the plugin called ``names``: its path in the package and its text."""
    values = {
        "name": names.type,
        "package": names.package,
        "distribution": names.distribution,
        "core_version": __version__,
    }
    templates = resources.files("portal_engine") / "scaffold_templates"
    return {
        path.format(package=names.package, type=names.type): string.Template(
            (templates / template).read_text(encoding="utf-8")
        ).substitute(values)
        for path, template in TEMPLATES.items()
    }


def _installed(distribution: str) -> str | None:
    """The installed version of ``distribution``, or ``None``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def create_plugin(name: str, directory: Path) -> Path:
    """Write the package of a new type ``name`` into a new folder inside ``directory``.

    Args:
        name: the type name (``[a-z][a-z0-9_]*``, not one the API reserves).
        directory: where the package folder (``portal-engine-<name>``) is created.

    Returns:
        The package folder.

    Raises:
        ValueError: ``name`` cannot name a type, or a plugin of that name is installed.
        FileExistsError: the package folder already exists.
    """
    names = PluginNames.for_type(name)
    taken = _installed(names.distribution)
    if taken is not None:
        # Installing the new package would silently replace the one already installed.
        raise ValueError(
            f"{names.distribution} {taken} is already installed, so a type {name!r} exists; "
            "choose another name"
        )
    target = directory / names.distribution
    if target.exists():
        raise FileExistsError(f"{target} already exists; remove it or choose another --dir")
    for path, text in render(names).items():
        file = target / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return target


__all__ = ["TEMPLATES", "PluginNames", "check_type_name", "create_plugin", "render"]
