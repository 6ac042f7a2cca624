"""A command group that imports a sub-command's module only when that sub-command runs.

Promises: ``provledger --help`` lists every command from its ``Entry`` (name and one-line
help) without importing any command module; ``provledger NAME ...`` imports the one module
that defines NAME and nothing else. Every help screen shows plain value names (PATH,
INTEGER, TEXT...) instead of Python type names (``<bool>``, ``<list[Path]>``).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption


@dataclass(frozen=True)
class Entry:
    """One top-level command: where it lives and its one-line help for the listing.

    ``attr`` names a ``typer.Typer`` (a group of sub-commands) or a command function.
    """

    name: str
    module: str
    attr: str
    short_help: str


_PLAIN = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "path": "PATH",
    "Path": "PATH",
    "file": "FILE",
    "directory": "FOLDER",
    "int range": "INTEGER",
    "float range": "NUMBER",
    "datetime": "TIME",
}


def plain_type(label: str) -> str | None:
    """The plain value name for one of Typer's type labels (``<list[Path]>`` -> ``PATH...``);
    None for a flag (``<bool>``), which takes no value."""
    inner = label.strip("<>")
    many = inner.startswith("list[") and inner.endswith("]")
    if many:
        inner = inner[len("list[") : -1]
    if inner == "bool":
        return None
    name = inner if "|" in inner else _PLAIN.get(inner, inner.upper())
    return f"{name}..." if many else name


def _plain_param(param: Any, ctx: typer.Context) -> None:
    if getattr(param, "_plain", False):
        return
    if isinstance(param, TyperArgument) and param.metavar is None:
        param.metavar = param.name.upper()
    if isinstance(param, (TyperArgument, TyperOption)):
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            shown: str | None = None
        elif isinstance(param, TyperOption) and param.metavar is not None:
            shown = param.metavar
        else:
            shown = plain_type(param.display_type(ctx))
        # Typer names the type column by calling this method; show the plain name instead
        setattr(param, "display_type_rich", functools.partial(_shown_as, shown))  # noqa: B010
    param._plain = True


def _shown_as(shown: str | None, ctx: Any = None) -> str | None:
    return shown


def plain_help(command: Any) -> Any:
    """``command`` (and every sub-command under it) with plain value names in its help."""
    ctx = typer.Context(command, info_name=command.name)
    for param in command.get_params(ctx):
        _plain_param(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


def load(entry: Entry, markup: Any) -> Any:
    """The click command for ``entry``, importing its module now."""
    target = getattr(importlib.import_module(entry.module), entry.attr)
    command: Any
    if isinstance(target, typer.Typer):
        target._add_completion = False  # completion belongs to the root command
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode=markup, add_completion=False)
        single.command(entry.name)(target)
        command = typer.main.get_command(single)
    command.name = entry.name
    return plain_help(command)


class LazyGroup(TyperGroup):
    """The root group: commands come from ``entries`` and load on first use."""

    entries: tuple[Entry, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._loaded: dict[str, Any] = {}
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [e.name for e in self.entries]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = next((e for e in self.entries if e.name == cmd_name), None)
        if entry is None:
            return None
        if cmd_name in self._loaded:
            return self._loaded[cmd_name]
        if self._listing:
            return typer.core.TyperCommand(name=entry.name, short_help=entry.short_help)
        self._loaded[cmd_name] = load(entry, self.rich_markup_mode)
        return self._loaded[cmd_name]

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            _plain_param(param, ctx)
        return params

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
