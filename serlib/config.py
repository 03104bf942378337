"""Frozen-dataclass configs loaded from flat, commented YAML, typed and checked at load time.

Every config in serlib (``MelConfig``, ``TrainConfig``, ...) is a frozen dataclass. This
module turns a YAML file or a mapping into one and turns a config back into a plain dict
(for saving it next to a model or hashing it into a cache key). Loading refuses:

- unknown keys;
- a value whose type does not match the field's type hint (``int``, ``float``, ``bool``,
  ``str``, ``X | None``, ``tuple[...]``, ``Mapping[...]``, ``Literal[...]``, nested
  dataclasses): a string ``lr`` is an error, never converted. A bool is not an int; an int
  is accepted where a float is expected. YAML lists become tuples (configs are immutable).

YAML itself is read by :func:`read_yaml`, which refuses a key written twice in one mapping
(plain YAML keeps the last value silently: a config with ``methods:`` twice would run one
method list instead of the other): the :class:`~serlib.errors.ConfigError` names the key and
both line numbers. Every YAML file serlib reads goes through it.

Range checks (``lr > 0``) stay in each dataclass's ``__post_init__``. Every message names the
source file, the key, the value and what is allowed.

Chapter: book/intro.md
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import hashlib
import json
import numbers
import os
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from serlib.errors import ConfigError

__all__ = ["config_from_dict", "config_hash", "config_replace", "config_to_dict",
           "load_config", "read_yaml"]

T = TypeVar("T")


class _Mismatch(Exception):
    """A value does not fit a type hint (``where`` is the key path, e.g. ``n_labels[1]``)."""

    def __init__(self, where: str, value: Any, expected: str) -> None:
        super().__init__(where)
        self.where, self.value, self.expected = where, value, expected


def _describe(hint: Any) -> str:
    """A short, readable name of a type hint: ``float``, ``list of int | str``, ..."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return "any value"
    if hint is type(None):
        return "null"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return f"one of {list(args)}"
    if origin is tuple or hint is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_describe(args[0])}"
        if args:
            return f"list of {len(args)} ({', '.join(_describe(a) for a in args)})"
        return "list"
    if origin in (list, cabc.Sequence):
        return f"list of {_describe(args[0])}" if args else "list"
    if origin in (dict, cabc.Mapping) or hint in (dict, cabc.Mapping):
        return f"mapping {_describe(args[0])} -> {_describe(args[1])}" if args else "mapping"
    if hint is bool:
        return "bool (true/false)"
    return getattr(hint, "__name__", str(hint))


def _check(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it fits ``hint`` (lists turned into tuples where a tuple is expected)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object or isinstance(hint, str | typing.ForwardRef):
        return tuple(value) if isinstance(value, list) else value
    if hint is type(None):
        if value is None:
            return None
        raise _Mismatch(where, value, "null")
    if origin in (typing.Union, types.UnionType):
        for member in args:
            try:
                return _check(value, member, where)
            except _Mismatch:
                continue
        raise _Mismatch(where, value, _describe(hint))
    if origin is typing.Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise _Mismatch(where, value, _describe(hint))
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch(where, value, "bool (true/false)")
    if hint is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise _Mismatch(where, value, "int")
    if hint is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return value if isinstance(value, int | float) else float(value)
        raise _Mismatch(where, value, "float")
    if hint is str:
        if isinstance(value, str):
            return value
        raise _Mismatch(where, value, "str")
    if origin is tuple or hint is tuple or origin in (list, cabc.Sequence):
        if not isinstance(value, list | tuple):
            raise _Mismatch(where, value, _describe(hint))
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise _Mismatch(where, value, _describe(hint))
            pairs = enumerate(zip(value, args, strict=True))
            items = [_check(v, a, f"{where}[{i}]") for i, (v, a) in pairs]
        else:
            item = args[0] if args else Any
            items = [_check(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return list(items) if origin is list else tuple(items)
    if origin in (dict, cabc.Mapping) or hint in (dict, cabc.Mapping):
        if not isinstance(value, Mapping):
            raise _Mismatch(where, value, _describe(hint))
        key_hint, value_hint = args if args else (Any, Any)
        return {_check(k, key_hint, f"{where} key {k!r}"):
                v if value_hint is Any else _check(v, value_hint, f"{where}.{k}")
                for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if isinstance(value, hint):
            return value
        if isinstance(value, Mapping):
            return config_from_dict(hint, value, source=where)
        raise _Mismatch(where, value, f"a mapping of {hint.__name__} fields")
    if isinstance(hint, type):
        if isinstance(value, hint):
            return value
        raise _Mismatch(where, value, _describe(hint))
    return value  # a hint this checker does not know (e.g. a Protocol): the dataclass decides


def _type_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # a hint naming something not importable here: resolve field by field
        module = vars(sys.modules.get(cls.__module__, types.ModuleType("_")))
        hints: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            try:
                hints[f.name] = eval(f.type, module) if isinstance(f.type, str) else f.type
            except Exception:
                hints[f.name] = Any
        return hints


def _mismatch_message(source: str, cls: type, key: str, hint: Any, err: _Mismatch) -> str:
    value = err.value
    message = (f"{source}: {err.where}={value!r} ({type(value).__name__}) is not allowed: "
               f"{cls.__name__}.{key} expects {_describe(hint)}")
    if err.where != key:
        message += f", so {err.where} must be {err.expected}"
    if "float" in err.expected:
        message += " (an int is accepted for a float)"
    if isinstance(value, str) and err.expected in ("float", "int"):
        try:
            float(value)
        except ValueError:
            pass
        else:
            message += "; write the number without quotes"
            if "e" in value.lower():
                message += f" (YAML reads {value} as text: write 1.0e-3, not 1e-3)"
    return message


def config_from_dict(cls: type[T], values: Mapping[str, Any], *, source: str = "config") -> T:
    """Build the frozen dataclass ``cls`` from ``values``, checking keys and types.

    Args:
        cls: a dataclass type.
        values: field names to values. Lists are turned into tuples (configs are immutable).
        source: where the values came from, used in error messages (e.g. a file name).

    Raises:
        ConfigError: if a key is not a field of ``cls``, a value does not have the field's
            type, or the dataclass rejects a value (its range checks). The message names
            ``source``, the key, the value and what is allowed.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if not isinstance(values, Mapping):
        raise ConfigError(f"{source}: expected a mapping of {cls.__name__} fields, got "
                          f"{type(values).__name__} {values!r}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields, key=str)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {unknown} for {cls.__name__}; "
            f"valid keys are {sorted(fields)}"
        )
    hints = _type_hints(cls)
    clean = {}
    for key, value in values.items():
        hint = hints.get(key, Any)
        try:
            clean[key] = _check(value, hint, key)
        except _Mismatch as err:
            raise ConfigError(_mismatch_message(source, cls, key, hint, err)) from None
    try:
        return cls(**clean)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: invalid value for {cls.__name__}: {err}") from err


def config_replace(config: T, *, source: str = "override", **changes: Any) -> T:
    """``dataclasses.replace`` with the checks of :func:`config_from_dict` on the changes."""
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)  # type: ignore[arg-type]
              if f.init}
    unknown = sorted(set(changes) - set(values))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown} for {type(config).__name__}; "
                          f"valid keys are {sorted(values)}")
    return config_from_dict(type(config), {**values, **changes}, source=source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *anchor`` may repeat keys
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not None:
                raise ConfigError(
                    f"{self.name}: key {key!r} is written twice (lines {first} and {line}); "
                    "YAML would silently keep only the last value: delete one of them")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """The parsed YAML file ``path`` (safe types only), refusing duplicate keys.

    Raises:
        ConfigError: a key is written twice in one mapping (the message names the key and
            both line numbers), or the file is not valid YAML.
        OSError, UnicodeDecodeError: the file cannot be read (callers word these).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    loader = _UniqueKeyLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    finally:
        loader.dispose()


def load_config(cls: type[T], path: str | os.PathLike[str]) -> T:
    """Load a flat YAML file into the frozen dataclass ``cls`` (see :func:`config_from_dict`)."""
    path = Path(path)
    try:
        values = read_yaml(path) or {}
    except FileNotFoundError as err:
        raise ConfigError(f"config file {path} does not exist") from err
    except IsADirectoryError as err:
        raise ConfigError(f"{path} is a folder, not a config file") from err
    except PermissionError as err:
        raise ConfigError(f"{path}: permission denied; make the config file readable") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a text file ({err}); pass a YAML config file") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(values, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return config_from_dict(cls, values, source=str(path))


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return a dataclass config as a plain, JSON-friendly dict (tuples become lists)."""
    values = dataclasses.asdict(config)
    return json.loads(json.dumps(values, default=list))


def config_hash(*parts: Any, length: int | None = 16) -> str:
    """Stable hex digest of configs and plain values (dataclasses, dicts, lists, str, numbers).

    Used to key caches: anything that determines a cached artefact goes into the hash. It is
    the SHA-256 of the JSON of the list of parts (dataclasses as :func:`config_to_dict`).

    Args:
        parts: what determines the artefact.
        length: hex digits kept (16 names folders and files readably); None keeps all 64
            (the keys of cache entries).
    """
    normal = [config_to_dict(p) if dataclasses.is_dataclass(p) else p for p in parts]
    blob = json.dumps(normal, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(blob).hexdigest()
    return digest if length is None else digest[:length]
