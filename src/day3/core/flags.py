"""Command-line flags generated from config dataclasses: help, defaults and checks exist once.

Each experiment takes one validated dataclass (`ClassifierJob`, `CompareConfig`, …). A field
declared with `option(...)` is also a flag: its name gives `--the-name`, its type the parsing,
its default the default, its help the help. `add_flags` adds a config's flags to a parser (the
CLI's, or a lesson's), nested configs included (`ClassifierJob.data` is a `DataSpec`: its
fields become the data flags); `build` makes the config back from the parsed arguments, and its
`__post_init__` checks every value (finite, in range) whoever called it.

    parser = Parser(description="...")
    add_flags(parser, ClassifierJob, defaults={"epochs": 4})
    job = build(ClassifierJob, parser.parse_args())

This and `day3.cli.main` are the only modules that import argparse.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path

MISSING = dataclasses.MISSING


class Parser(argparse.ArgumentParser):
    """argparse, whose own mistakes (a word where a number goes, a missing flag) read like the
    kit's: one line `error: …; see PROG --help`, exit 2, no usage block above it."""

    def error(self, message: str) -> typing.NoReturn:
        sys.stderr.write(f"error: {message}; see `{self.prog} --help`\n")
        sys.exit(2)


def option(
    default=MISSING,
    *,
    help: str,
    default_factory=MISSING,
    flag: str | None = None,
    parse: Callable[[str], object] | None = None,
    choices: tuple | None = None,
    positional: bool = False,
    nargs: str | None = None,
    const=MISSING,
    required: bool = False,
    metavar: str | None = None,
):
    """A dataclass field that is also a flag. `flag` renames it (`--lr` for learning_rate; a
    bool defaulting to True is switched off by a `--no-…` flag); `parse` reads its text (a
    strategy, a comma list); `const` makes a flag that stores that value (`--no-bf16`)."""
    meta = dict(help=help, flag=flag, parse=parse, choices=choices, positional=positional)
    meta.update(nargs=nargs, const=const, required=required, metavar=metavar)
    if default_factory is not MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def comma_list(text: str) -> tuple[str, ...]:
    """`a, b,c` -> ("a", "b", "c")."""
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _plain(tp):
    """The type a flag's text becomes: `int | None` -> int, `tuple[str, ...]` -> tuple."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _plain(args[0]) if len(args) == 1 else str
    return origin or tp


def _nested(tp) -> type | None:
    tp = _plain(tp)
    return tp if dataclasses.is_dataclass(tp) and isinstance(tp, type) else None


def _default_of(f: dataclasses.Field):
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def flag_fields(cls, instance=None):
    """(field, type, default) of every flag of `cls`, nested configs' flags included; the
    defaults of a nested config are those of its default instance (`DataSpec("sst2", …)`)."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        default = getattr(instance, f.name) if instance is not None else _default_of(f)
        nested = _nested(hints[f.name])
        if nested is not None and "help" not in f.metadata:
            yield from flag_fields(nested, default)
        elif "help" in f.metadata:
            yield f, hints[f.name], default


def add_flags(
    parser: argparse.ArgumentParser,
    cls,
    defaults: dict | None = None,
    optional: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
) -> argparse.ArgumentParser:
    """Add `cls`'s flags to `parser`. `defaults` replaces some defaults (a lesson's smaller
    budget), `optional` lifts `required` (a lesson has a default output), `skip` leaves flags
    out (what a lesson decides itself)."""
    defaults = defaults or {}
    for f, tp, default in flag_fields(cls):
        if f.name in skip:
            continue
        m = f.metadata
        default = defaults.get(f.name, default)
        kwargs: dict = {"help": _help(m["help"], default, tp)}
        names = [m["flag"] or "--" + f.name.replace("_", "-")]
        if m["positional"]:
            names = [f.name]
            if m["nargs"]:
                kwargs["nargs"] = m["nargs"]
            if m["nargs"] in ("?", "*"):
                kwargs["default"] = default
        elif m["const"] is not MISSING and not m["nargs"]:
            kwargs.update(action="store_const", const=m["const"], default=default, dest=f.name)
        elif _plain(tp) is bool:
            action = "store_false" if default is True else "store_true"
            kwargs.update(action=action, default=default, dest=f.name)
        else:
            kwargs.update(default=default, dest=f.name, type=_typed(m["parse"]) or _reader(tp))
            if m["choices"]:
                kwargs["choices"] = m["choices"]
            if m["nargs"]:
                kwargs["nargs"] = m["nargs"]
            if m["const"] is not MISSING:  # `--dry-run` alone: the const; `--dry-run DIR`: DIR
                kwargs["const"] = m["const"]
            if m["metavar"]:
                kwargs["metavar"] = m["metavar"]
            if m["required"] and f.name not in optional and f.name not in defaults:
                kwargs["required"] = True
                kwargs.pop("default")
        if m["positional"]:
            many = m["nargs"] in ("*", "+")  # each word is one value: no comma splitting
            kwargs["type"] = _typed(m["parse"]) or (str if many else _reader(tp))
        parser.add_argument(*names, **kwargs)
    return parser


def _typed(parse):
    """A `parse` function as argparse calls it: its UserError becomes argparse's own error (one
    line naming the flag), not a traceback out of parse_args."""
    if parse is None:
        return None
    from day3.core.errors import UserError

    def typed(text: str):
        try:
            return parse(text)
        except UserError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    typed.__name__ = getattr(parse, "__name__", "value")
    return typed


def _reader(tp):
    plain = _plain(tp)
    if plain in (tuple, list):
        return comma_list
    if plain in (int, float, Path):
        return plain
    return str


def _help(text: str, default, tp) -> str:
    """The help line: `text` as written (a `%` is a percent sign, argparse's `%(default)s`
    templates are not used) and the default, unless there is nothing to show."""
    if not (default in (None, False, "", ()) or _plain(tp) is bool):
        shown = getattr(default, "label", default)  # a StrategyConfig shows as `lora:16`
        shown = ",".join(shown) if isinstance(shown, (tuple, list)) else shown
        text = f"{text} (default: {shown})"
    return text.replace("%", "%%")


def build(cls, args: argparse.Namespace, **overrides):
    """`cls` made from parsed flags (nested configs too); `overrides` win. Its __post_init__
    then checks every value, as it does for any caller."""
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        nested = _nested(hints[f.name])
        if f.name in overrides:
            kwargs[f.name] = overrides[f.name]
        elif nested is not None and "help" not in f.metadata:
            kwargs[f.name] = build(nested, args)
        elif "help" in f.metadata and hasattr(args, f.name):
            kwargs[f.name] = getattr(args, f.name)
    return cls(**kwargs)
