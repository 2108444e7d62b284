"""Options declared once: each dataclass field carries its help, range and where it is shown.

A field declared with ``option(...)`` is validated on construction, becomes a command-line
argument (``add_arguments`` / ``from_arguments``), a field of the window's settings dialog
(``livekr.gui.settings`` reads the same specs; its tooltip is the help in the window's language,
``OptionSpec.help_in``), and a settings key (``to_store`` / ``from_store``). Adding an option is
adding one field. Stdlib only.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from livekr.messages import Message

log = logging.getLogger(__name__)

SPEC_KEY = "livekr"
"""Key of the ``OptionSpec`` in a dataclass field's metadata."""

T = TypeVar("T")


@dataclass(frozen=True)
class OptionSpec:
    """How one option is checked and presented."""

    help: str
    """One line for ``--help``, the settings dialog's tooltip and the README."""
    ko_help: str = ""
    """``help`` in Korean, for the settings dialog of a Korean window; every option with a
    ``dialog`` label has one (it advises no command line)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    """Allowed values (the dialog shows a list); empty for any value of the type."""
    pattern: str = ""
    """A regular expression of further allowed strings beyond ``choices`` (e.g. ``cuda:\\d+``)."""
    flag: str = ""
    """Command-line flag; default ``--`` + the field name with dashes."""
    cli: bool = True
    """Offered on the command line."""
    dialog: str = ""
    """Key of the label in the settings dialog (``livekr.gui.i18n``); empty: not in the dialog."""
    choice_labels: tuple[str, ...] = ()
    """Labels for ``choices`` in the dialog (i18n keys or literal text), same order."""

    def help_in(self, lang: str) -> str:
        """The help in ``lang`` ("ko" or "en"): the Korean where there is one, else the English."""
        return self.ko_help if lang == "ko" and self.ko_help else self.help


def option(default: Any, help: str, **spec: Any) -> Any:
    """A dataclass field with an ``OptionSpec`` (see its fields for ``spec``)."""
    return dataclasses.field(default=default, metadata={SPEC_KEY: OptionSpec(help, **spec)})


@dataclass(frozen=True)
class DeclaredOption:
    """A field of an options dataclass together with its spec."""

    name: str
    type: type
    default: Any
    spec: OptionSpec

    @property
    def flag(self) -> str:
        return self.spec.flag or "--" + self.name.replace("_", "-")


_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}


def declared(cls: type) -> list[DeclaredOption]:
    """The options of dataclass ``cls`` in declaration order (fields without a spec skipped)."""
    out = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(SPEC_KEY)
        if spec is None:
            continue
        kind = f.type if isinstance(f.type, type) else _TYPES.get(str(f.type), str)
        out.append(DeclaredOption(f.name, kind, f.default, spec))
    return out


def check(opt: DeclaredOption, value: Any) -> Message | None:
    """Why ``value`` is not allowed for ``opt`` (one line), or None when it is."""
    name = opt.name
    if opt.type is bool:
        return None if isinstance(value, bool) else Message("option.not_bool", name=name, value=value)
    if opt.type in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return Message("option.not_number", name=name, value=value)
    if opt.type is int and not isinstance(value, int):
        return Message("option.not_whole", name=name, value=value)
    spec = opt.spec
    if spec.minimum is not None and value < spec.minimum:
        return Message("option.below", name=name, minimum=spec.minimum, value=value)
    if spec.maximum is not None and value > spec.maximum:
        return Message("option.above", name=name, maximum=spec.maximum, value=value)
    matches_pattern = bool(spec.pattern and isinstance(value, str) and re.fullmatch(spec.pattern, value))
    if spec.choices and value not in spec.choices and not matches_pattern:
        allowed = ", ".join(str(c) for c in spec.choices)
        if spec.pattern:
            return Message("option.not_choice_or_pattern", name=name, allowed=allowed, pattern=spec.pattern,
                           value=value)
        return Message("option.not_choice", name=name, allowed=allowed, value=value)
    return None


def validate(instance: Any) -> None:
    """Raise ``ValueError`` naming the first option of ``instance`` that is out of range."""
    for opt in declared(type(instance)):
        problem = check(opt, getattr(instance, opt.name))
        if problem:
            raise ValueError(problem)


# -- command line ------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, cls: type, *, suppress_defaults: bool = False) -> None:
    """Add one argument per command-line option of ``cls``.

    With ``suppress_defaults`` an option not given leaves no attribute, so the same option on a
    parent parser (``livekr --model X transcribe …``) is not overwritten by this one's default.
    """
    for opt in declared(cls):
        if not opt.spec.cli:
            continue
        default = argparse.SUPPRESS if suppress_defaults else opt.default
        shown = opt.default if opt.default != "" else "none"
        kwargs: dict[str, Any] = {"dest": opt.name, "default": default,
                                  "help": f"{opt.spec.help} (default: {shown})"}
        if opt.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _argument_type(opt)
            if opt.spec.choices and not opt.spec.pattern:
                kwargs["choices"] = opt.spec.choices
        parser.add_argument(opt.flag, **kwargs)


def _argument_type(opt: DeclaredOption) -> Any:
    def convert(text: str) -> Any:
        try:
            value = opt.type(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {opt.type.__name__}") from e
        problem = check(opt, value)
        if problem:
            raise argparse.ArgumentTypeError(problem.split(", got")[0])
        return value

    convert.__name__ = opt.type.__name__
    return convert


def from_arguments(cls: type[T], args: argparse.Namespace, base: T | None = None) -> T:
    """An instance of ``cls`` with the options present in ``args`` (others from ``base``)."""
    current = base if base is not None else cls()
    given = {o.name: getattr(args, o.name) for o in declared(cls) if o.spec.cli and hasattr(args, o.name)}
    return dataclasses.replace(current, **given)  # type: ignore[type-var]


# -- settings store ----------------------------------------------------------------------


def to_store(instance: Any, prefix: str) -> dict[str, Any]:
    """``{"prefix/name": value}`` for every option of ``instance``."""
    return {f"{prefix}/{o.name}": getattr(instance, o.name) for o in declared(type(instance))}


def _coerce(opt: DeclaredOption, raw: Any) -> Any:
    """A stored value (INI files give strings) in the option's type; raises ValueError."""
    if opt.type is bool:
        if isinstance(raw, str):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return bool(raw)
    if opt.type is int:
        return int(float(raw)) if isinstance(raw, str) else int(raw)
    if opt.type is float:
        return float(raw)
    return "" if raw is None else str(raw)


def from_store(cls: type[T], values: Mapping[str, Any], prefix: str) -> T:
    """An instance of ``cls`` from stored values; a missing, unreadable or out-of-range value
    takes its default (logged), so a damaged settings file never stops the app."""
    kwargs = {}
    for opt in declared(cls):
        key = f"{prefix}/{opt.name}"
        if key not in values:
            continue
        try:
            value = _coerce(opt, values[key])
        except (TypeError, ValueError):
            value = None
        problem = "unreadable" if value is None else check(opt, value)
        if problem:
            log.warning("setting %s ignored (%s); using %r", key, problem, opt.default)
            continue
        kwargs[opt.name] = value
    try:
        return cls(**kwargs)
    except ValueError as e:  # values valid alone but not together
        log.warning("settings %s ignored (%s); using the defaults", prefix, e)
        return cls()

