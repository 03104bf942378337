"""Experiment configs: a flat YAML file that names a grid of runs, and how profiles adjust it.

An experiment file lists the grid axes (``tasks`` source → target, ``methods``, ``n_labels``,
``thresholds``, ``trade_offs``, ``seeds``), the data (real corpora or the synthetic corpus,
the label set), the backbone and the paper recipe. Two mappings adjust it:

- ``train``: overrides of recipe fields (``lr``, ``batch_size``, ``source_epochs``, ...)
  and profile fields (``max_per_speaker_emotion``, ...);
- ``profiles``: per profile (``smoke``, ``cpu``, ``full``), overrides of any experiment,
  recipe or profile field, e.g. ``cpu: {backbone: byols_neck, adapt_epochs: 20}``.

Precedence, lowest first: the recipe (``serlib.adapt.RECIPES``), ``train``, the built-in
profile (``serlib.adapt.PROFILES``), then ``profiles[<profile>]``. Unknown keys anywhere
are an error.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serlib.adapt.methods import get_method
from serlib.adapt.recipes import Profile, Recipe, apply_profile, get_profile, get_recipe
from serlib.config import config_from_dict, load_config
from serlib.errors import ConfigError

__all__ = ["CHECKPOINT_ENV", "ExperimentConfig", "ResolvedExperiment", "load_experiment",
           "parse_task", "resolve_experiment"]

#: environment variable with the path of the BYOL-S weights (when ``checkpoint`` is None)
CHECKPOINT_ENV = "SERLIB_BYOLS_CHECKPOINT"

#: ``data`` values: real corpora under the data root, or the synthetic corpus
DATA_KINDS = ("corpora", "synthetic")


def parse_task(task: str) -> tuple[str, str]:
    """``"ravdess+savee -> emodb"`` → ``("ravdess+savee", "emodb")`` (spaces ignored)."""
    parts = [p.strip().replace(" ", "") for p in task.split("->")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"task {task!r}: write it as 'SOURCE -> TARGET', each a corpus id "
                          "or several joined by '+' (e.g. 'ravdess+savee+tess -> emodb')")
    return parts[0], parts[1]


@dataclass(frozen=True)
class ExperimentConfig:
    """A grid of runs (see the module docstring and the files in ``configs/``).

    Attributes:
        name: names the results file (``<name>-<profile>.csv``).
        tasks: ``"SOURCE -> TARGET"`` strings; a side may pool corpora with ``+`` (an id
            ending in ``?`` is optional: used if on disk).
        methods: names from ``serlib.adapt.METHODS``.
        description: free text.
        data: ``"corpora"`` (ids under the data root) or ``"synthetic"`` (task sides are
            synthetic languages, e.g. ``lang_a``).
        synthetic: the synthetic corpus profile (``serlib.data.synthetic_config``).
        synthetic_overrides: fields of that corpus config to change (e.g. fewer speakers).
        label_set: the label set (``agarla5``, ``shared4``, ...).
        merges: explicit label merges (``serlib.data.MERGES``).
        n_labels: labelled target utterances: integers and/or ``"all"``.
        thresholds: τ values (methods with hard pseudo-labels).
        trade_offs: MMD / adversarial weights (methods that use one).
        seeds: training seeds (also draw the labelled subset).
        split_seed: the seed of the speaker-independent splits (shared by every run).
        backbone: ``small_cnn``, ``byols_neck`` (frozen cached trunk), ``byols``, ``vgg``.
        backbone_options: keyword arguments of the backbone's model (e.g. a smaller CNN).
        checkpoint: pre-trained weights of the backbone (None: ``$SERLIB_BYOLS_CHECKPOINT``).
        recipe: ``agarla`` or ``baklouti`` (``serlib.adapt.RECIPES``).
        train: recipe and profile field overrides.
        profiles: per-profile overrides.
        device: ``auto``, ``cpu``, ``cuda``, ...
        save_models: save a model bundle per run (for ``serlib predict``).
    """

    name: str
    tasks: tuple[str, ...]
    methods: tuple[str, ...]
    description: str = ""
    data: str = "corpora"
    synthetic: str = "smoke"
    synthetic_overrides: Mapping[str, Any] = field(default_factory=dict)
    label_set: str = "agarla5"
    merges: tuple[str, ...] = ()
    n_labels: tuple[int | str, ...] = ("all",)
    thresholds: tuple[float, ...] = (0.5,)
    trade_offs: tuple[float, ...] = (1.0,)
    seeds: tuple[int, ...] = (0, 1, 2)
    split_seed: int = 0
    backbone: str = "small_cnn"
    backbone_options: Mapping[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    recipe: str = "agarla"
    train: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    device: str = "auto"
    save_models: bool = True

    def __post_init__(self) -> None:
        if self.data not in DATA_KINDS:
            raise ConfigError(f"data={self.data!r}: use one of {DATA_KINDS}")
        if not self.tasks or not self.methods or not self.seeds:
            raise ConfigError(f"experiment {self.name!r}: tasks, methods and seeds must not "
                              "be empty")
        for task in self.tasks:
            parse_task(task)
        for method in self.methods:
            get_method(method)
        get_recipe(self.recipe)
        for n in self.n_labels:
            if not (n == "all" or (isinstance(n, int) and n >= 0)):
                raise ConfigError(f"n_labels entry {n!r}: use integers >= 0 or 'all'")
        for tau in self.thresholds:
            if not 0.0 <= float(tau) <= 1.0:
                raise ConfigError(f"threshold {tau}: must lie in [0, 1]")
        for profile in self.profiles:
            get_profile(profile)


@dataclass(frozen=True)
class ResolvedExperiment:
    """An experiment with one profile applied: what the runner executes.

    Attributes:
        config: the experiment config after the profile's overrides.
        profile: the profile (with overrides).
        recipe: the recipe (with overrides and the profile's epochs).
        seeds: the seeds to run.
    """

    config: ExperimentConfig
    profile: Profile
    recipe: Recipe
    seeds: tuple[int, ...]


def load_experiment(path: str | os.PathLike[str]) -> ExperimentConfig:
    """Load an experiment YAML file (unknown keys are an error)."""
    return load_config(ExperimentConfig, path)


def _names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _route(values: Mapping[str, Any], allowed: dict[str, set[str]],
           where: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {kind: {} for kind in allowed}
    for key, value in values.items():
        kind = next((k for k, names in allowed.items() if key in names), None)
        if kind is None:
            valid = sorted(set().union(*allowed.values()))
            raise ConfigError(f"{where}: unknown key {key!r}; valid keys are {valid}")
        out[kind][key] = list(value) if isinstance(value, tuple) else value
    return out


def resolve_experiment(config: ExperimentConfig, profile: str = "smoke",
                       seeds: Sequence[int] | None = None) -> ResolvedExperiment:
    """Apply ``profile`` (built-in values and the config's overrides) and optional seeds."""
    base = get_profile(profile)
    recipe_keys = _names(Recipe) - {"name"}
    profile_keys = _names(Profile) - {"name"}
    experiment_keys = _names(ExperimentConfig) - {"name", "train", "profiles"}
    train = _route(config.train, {"recipe": recipe_keys, "profile": profile_keys},
                   f"{config.name}: train")
    over = _route(config.profiles.get(profile, {}),
                  {"experiment": experiment_keys, "recipe": recipe_keys,
                   "profile": profile_keys}, f"{config.name}: profiles.{profile}")
    config = config_from_dict(ExperimentConfig,
                              {**{f.name: getattr(config, f.name)
                                  for f in dataclasses.fields(ExperimentConfig)},
                               **over["experiment"]}, source=f"{config.name} ({profile})")
    if config.checkpoint is None and os.environ.get(CHECKPOINT_ENV):
        config = dataclasses.replace(config, checkpoint=os.environ[CHECKPOINT_ENV])
    prof = dataclasses.replace(base, **{**train["profile"], **over["profile"]})
    try:
        recipe = dataclasses.replace(get_recipe(config.recipe), **train["recipe"])
        recipe = dataclasses.replace(apply_profile(recipe, prof), **over["recipe"])
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{config.name}: invalid recipe override: {err}") from err
    return ResolvedExperiment(config=config, profile=prof, recipe=recipe,
                              seeds=tuple(seeds) if seeds else tuple(config.seeds))
