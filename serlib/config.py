"""Frozen-dataclass configs loaded from flat, commented YAML.

Every config in serlib (``MelConfig``, ``TrainConfig``, ...) is a frozen dataclass. This
module turns a YAML file or a mapping into one, refusing unknown keys, and turns a config
back into a plain dict (for saving it next to a model or hashing it into a cache key).

Chapter: book/intro.md
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from serlib.errors import ConfigError

__all__ = ["config_from_dict", "config_hash", "config_to_dict", "load_config"]

T = TypeVar("T")


def config_from_dict(cls: type[T], values: Mapping[str, Any], *, source: str = "config") -> T:
    """Build the frozen dataclass ``cls`` from ``values``; unknown keys are an error.

    Args:
        cls: a dataclass type.
        values: field names to values. Lists are turned into tuples (configs are immutable).
        source: where the values came from, used in error messages (e.g. a file name).

    Raises:
        ConfigError: if a key is not a field of ``cls`` or the dataclass rejects a value.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {unknown} for {cls.__name__}; "
            f"valid keys are {sorted(fields)}"
        )
    clean = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**clean)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: invalid value for {cls.__name__}: {err}") from err


def load_config(cls: type[T], path: str | os.PathLike[str]) -> T:
    """Load a flat YAML file into the frozen dataclass ``cls`` (see :func:`config_from_dict`)."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as err:
        raise ConfigError(f"config file {path} does not exist") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(values, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return config_from_dict(cls, values, source=str(path))


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return a dataclass config as a plain, JSON-friendly dict (tuples become lists)."""
    values = dataclasses.asdict(config)
    return json.loads(json.dumps(values, default=list))


def config_hash(*parts: Any, length: int = 16) -> str:
    """Stable hex digest of configs and plain values (dataclasses, dicts, lists, str, numbers).

    Used to key caches: anything that determines a cached artefact goes into the hash.
    """
    normal = [config_to_dict(p) if dataclasses.is_dataclass(p) else p for p in parts]
    blob = json.dumps(normal, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]
