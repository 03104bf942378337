"""The checks of an experiment config that need more than one field or another table.

:class:`~serlib.experiments.config.ExperimentConfig` calls these when it is made (tasks,
label set, grid axes, finite numbers) and
:func:`~serlib.experiments.config.resolve_experiment` when a profile is applied (the
backbone's options and test-time values, epochs and caps): everything that can be checked
without training is checked when the config is read, each in one place, with a message
that names the key, the value and the valid choices.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from serlib.adapt.methods import METHODS, get_method
from serlib.data.labels import _merge_map
from serlib.errors import ConfigError, LabelSetError
from serlib.experiments.protocols import get_protocol
from serlib.experiments.test_time import TEST_TIME, check_supported

if TYPE_CHECKING:
    from serlib.experiments.config import ExperimentConfig
    from serlib.experiments.profiles import Profile
    from serlib.experiments.recipes import Recipe

__all__ = ["MAX_EPOCHS", "check_axes", "check_budget", "check_finite", "check_label_set",
           "check_task_corpora", "resolve_test_time", "test_time_points"]

#: more epochs than this is a typo, not a recipe
MAX_EPOCHS = 100_000


def check_task_corpora(config: ExperimentConfig, where: str) -> None:
    """Every corpus id of every task is known (``data: corpora``)."""
    from serlib.data import CORPORA
    from serlib.experiments.config import parse_task

    for task in config.tasks:
        for side in parse_task(task):
            if config.data != "corpora":
                continue
            unknown = [c.rstrip("?") for c in side.split("+") if c.rstrip("?") not in CORPORA]
            if unknown:
                raise ConfigError(f"{where}: task {task!r}: unknown corpus id(s) {unknown}; "
                                  f"known: {sorted(CORPORA)} (or data: synthetic for "
                                  "synthetic languages)")


def check_label_set(config: ExperimentConfig, where: str) -> None:
    """The label set is one of ``serlib.data.LABEL_SETS``; ``merges`` names merges of
    ``serlib.data.MERGES``, and, per corpus, corpora of the tasks."""
    from serlib.data import LABEL_SETS, MERGES
    from serlib.experiments.config import parse_task

    if config.label_set not in LABEL_SETS:
        raise ConfigError(f"{where}: label_set={config.label_set!r}; use one of "
                          f"{sorted(LABEL_SETS)}")
    if isinstance(config.merges, Mapping):
        corpora = {c.rstrip("?") for task in config.tasks for side in parse_task(task)
                   for c in side.split("+")}
        if config.data == "synthetic":  # its ``corpus`` column is "synthetic"
            corpora = {"synthetic"}
        groups = list(config.merges.items())
        for corpus in config.merges:
            if corpus not in corpora:
                raise ConfigError(f"{where}: merges names corpus {corpus!r}, which no task "
                                  f"uses; the tasks' corpora: {sorted(corpora)}")
    else:
        groups = [("", config.merges)]
    for corpus, names in groups:
        at = f"merges.{corpus}" if corpus else "merges"
        if isinstance(names, str):
            raise ConfigError(f"{where}: {at}={names!r}; write a list of merge names")
        for name in names:
            if name not in MERGES:
                raise ConfigError(f"{where}: {at} entry {name!r}; use one of "
                                  f"{sorted(MERGES)}")
        try:
            _merge_map(names)
        except LabelSetError as err:
            raise ConfigError(f"{where}: {at}: {err}; keep one of them") from None


def check_finite(value: Any, where: str) -> None:
    """Refuse NaN and infinities."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {value!r} is not a finite number; use a finite value")


def check_axes(config: ExperimentConfig, where: str) -> None:
    """``thresholds`` / ``trade_offs``: some method of the grid must take the axis, and
    each value must be finite and valid for it (the one place these are checked)."""
    for axis, param in (("thresholds", "threshold"), ("trade_offs", "trade_off")):
        values = getattr(config, axis)
        if not values:
            continue
        users = [m for m in config.methods if param in get_method(m).hyper]
        if not users:
            takers = [m for m, row in METHODS.items() if param in row.hyper]
            raise ConfigError(f"{where}: {axis}={list(values)} but no method of the grid "
                              f"({list(config.methods)}) takes a {param}; methods that do: "
                              f"{takers} (or remove {axis})")
        for value in values:
            check_finite(value, f"{where}: {axis}")
            get_method(users[0]).hyper[param].check(param, value, f"{where}: {axis}")


def test_time_points(config: ExperimentConfig) -> list[dict[str, Any]]:
    """The test-time settings of each point of the ``test_time`` axis (one point, the
    top-level values, when the axis is empty); each point sets all four settings."""
    base = {name: getattr(config, name) for name in TEST_TIME}
    points = [{**base, **p} for p in config.test_time] or [base]
    unique: list[dict[str, Any]] = []
    for point in points:
        if point not in unique:
            unique.append(point)
    return unique


test_time_points.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def resolve_test_time(config: ExperimentConfig, profile: Profile) -> ExperimentConfig:
    """Fill ``frames`` / ``normalize`` from the backbone (and the profile), then check that
    the backbone applies every point of the ``test_time`` axis, and its options."""
    from serlib.experiments.backbones import BACKBONES

    assert config.backbone is not None
    where = f"experiment {config.name!r}"
    backbone = BACKBONES[config.backbone]
    backbone.check_options(config.backbone_options, where)
    frames = config.frames or backbone.test_time_defaults["frames"]
    normalize = config.normalize or (
        profile.normalize if profile.normalize in backbone.test_time["normalize"]
        else backbone.test_time_defaults["normalize"])
    config = dataclasses.replace(config, frames=frames, normalize=normalize)
    protocol = get_protocol(config.protocol)
    for point in test_time_points(config):
        check_supported(config.backbone, backbone.test_time, point, where)
        if point["adabn"] and not protocol.target_train:
            raise ConfigError(f"{where}: adabn needs the target's unlabelled training pool, "
                              f"which protocol {protocol.name!r} does not have; use adabn: "
                              "false or protocol paper / speaker_folds")
    return config


def check_budget(name: str, profile: Profile, recipe: Recipe) -> None:
    """Profile and recipe values no run could use, refused before any training."""
    where = f"experiment {name!r} ({profile.name})"
    for key in ("source_epochs", "adapt_epochs"):
        value = getattr(recipe, key)
        if not 1 <= value <= MAX_EPOCHS:
            raise ConfigError(f"{where}: {key}={value}; use 1 to {MAX_EPOCHS}")
    cap = profile.max_per_speaker_emotion
    if cap is not None and cap < 1:
        raise ConfigError(f"{where}: max_per_speaker_emotion={cap}; use 1 or more (or null: "
                          "no cap)")
