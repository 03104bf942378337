"""Experiment configs: a flat YAML file that names a grid of runs, and how profiles adjust it.

An experiment file lists the grid axes (``tasks`` source → target, ``methods``, ``n_labels``,
``thresholds``, ``trade_offs``, ``seeds``), the data (real corpora or the synthetic corpus,
the label set), the backbone and the paper recipe. ``merges`` applies named label merges
to every corpus (``[calm_as_neutral]``) or to one (``{ravdess: [calm_as_neutral]}``); a
target left with fewer classes than the label set is said in the plan (``serlib experiment
plan``) and in every row (``target_classes``), and ``restrict_to_target_classes: true``
makes the classifier decide among those classes only (recorded in the row). Three
mappings adjust it:

- test-time settings (``frames``, ``normalize``, ``adabn``, ``refine``; one table,
  :data:`serlib.experiments.test_time.TEST_TIME`): one value each, or the grid axis
  ``test_time``, a list of mappings of them (``test_time: [{frames: none, normalize:
  source}, {frames: speaker, normalize: speaker}]``: an inductive and a speaker-adapted
  row per condition); a setting an entry leaves out takes the top-level value;
- ``protocol`` (:data:`serlib.experiments.protocols.PROTOCOLS`) and ``selection``
  (:data:`serlib.experiments.selection.SELECTIONS`: how a run with target labels is
  selected, and so how many labels it uses);
- ``hyper``: the methods' hyper-parameters, per method
  (``hyper: {mmd: {estimator: unbiased}, soft_pl: {lambda_prior: 0.5}}``); every key a
  method accepts is listed in :data:`serlib.adapt.METHODS` with its default. ``thresholds``
  and ``trade_offs`` are grid axes over ``threshold`` and ``trade_off`` (empty: the
  method's value from ``hyper`` or its default);
- ``train``: overrides of recipe fields (``lr``, ``batch_size``, ``source_epochs``, ...)
  and profile fields (``max_per_speaker_emotion``, ...);
- ``profiles``: per profile (``smoke``, ``cpu``, ``full``), overrides of any experiment,
  recipe or profile field, e.g. ``cpu: {adapt_epochs: 20}``.

Precedence, lowest first: the recipe (``RECIPES``), ``train``, the built-in profile
(``PROFILES``), then ``profiles[<profile>]``. Unknown keys anywhere are an error that names
the key and the file. ``backbone: null`` takes the profile's backbone for the recipe.

Configs are addressed by path or by name: ``load_experiment("cpu_ravdess_emodb")`` finds
the config shipped with serlib (the repository's ``configs/`` folder, installed as package
data).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from serlib.adapt.methods import get_method, resolve_hyper
from serlib.config import config_from_dict, config_replace, load_config
from serlib.errors import ConfigError
from serlib.experiments.config_checks import (
    MAX_EPOCHS,
    check_axes,
    check_budget,
    check_finite,
    check_label_set,
    check_task_corpora,
    resolve_test_time,
    test_time_points,
)
from serlib.experiments.profiles import DRY_RUN, Profile, apply_profile, get_profile
from serlib.experiments.protocols import PROTOCOLS as PROTOCOL_TABLE
from serlib.experiments.protocols import ProtocolName, get_protocol
from serlib.experiments.recipes import Recipe, get_recipe
from serlib.experiments.selection import SelectionName, get_selection
from serlib.experiments.test_time import (
    FRAMES,
    NORMALIZE,
    REFINE,
    TEST_TIME,
    check_test_time_point,
)

__all__ = ["BACKBONE_NAMES", "DATA_KINDS", "MAX_EPOCHS", "MAX_SEED", "ExperimentConfig",
           "ResolvedExperiment", "find_config", "load_experiment", "parse_task",
           "resolve_experiment", "shipped_configs", "test_time_points"]

#: ``data`` values: real corpora under the data root, or the synthetic corpus
DATA_KINDS = ("corpora", "synthetic")
#: the backbones an experiment may name (``serlib.experiments.backbones`` builds them)
BACKBONE_NAMES = ("mel_stats", "byols_embed", "small_cnn", "byols_neck", "byols", "vgg")
#: ``protocol`` values (kept for callers; the table is ``serlib.experiments.PROTOCOLS``)
PROTOCOLS = tuple(PROTOCOL_TABLE)
#: ``normalize`` and ``refine`` values (kept for callers; the table is ``TEST_TIME``)
NORMALIZE_MODES = TEST_TIME["normalize"].values
REFINE_MODES = TEST_TIME["refine"].values
#: seeds (and ``split_seed``) lie in [0, MAX_SEED]
MAX_SEED = 2**31 - 1
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


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
        merges: explicit label merges (``serlib.data.MERGES``): a list (every corpus), or
            a mapping corpus id → list (that corpus only; ``{ravdess: [calm_as_neutral]}``),
            the ids those of the tasks' corpora (or synthetic languages).
        restrict_to_target_classes: score the target by the argmax over the classes the
            target has (the classes of the label set with an utterance in the target
            domain, the row's ``target_classes``), not over every class of the label set;
            recorded in every row. UAR is computed as always, over the classes present in
            the target test split, and its chance level is 1 / their number.
        n_labels: labelled target utterances: integers and/or ``"all"``.
        thresholds: τ values, a grid axis of the methods with a ``threshold`` (empty: the
            method's own value).
        trade_offs: MMD / adversarial weights, a grid axis of the methods with a
            ``trade_off`` (empty: the method's own value).
        hyper: per method, hyper-parameters other than the defaults.
        seeds: training seeds (also draw the labelled subset).
        split_seed: the seed of the speaker-independent splits (shared by every run).
        protocol: ``"paper"`` (the target split 60/20/20 by speaker, as Agarla et al.) or
            ``"speaker_folds"`` (every target speaker tested exactly once: one run per fold,
            dev and the labelled subset from the other speakers; results pooled over the
            folds, see ``serlib.data.folds``). The source split is the same in both.
        n_folds: folds of the ``speaker_folds`` protocol: a number, or a mapping target →
            number (None, or a target the mapping leaves out: ``default_n_folds`` of the
            target's number of speakers, from the registry or the corpus on disk).
        backbone: ``small_cnn``, ``byols_neck`` (frozen cached trunk), ``byols``, ``vgg``;
            None: the profile's backbone for the recipe.
        backbone_options: keyword arguments of the backbone (e.g. ``pretrained: false``).
        frames: whose statistics correct a frozen trunk's frames (``byols_embed``):
            ``none`` (source statistics only), ``utterance``, ``domain`` or ``speaker``;
            None: the backbone's default (``byols_embed``: ``speaker``, the cpu edition's).
        normalize: whose statistics standardise the backbone's inputs: ``none``,
            ``utterance``, ``max`` (VGG's images), ``source`` (source train), ``target``
            (each domain's own, unlabelled) or ``speaker`` (each speaker's own,
            unlabelled); None: the profile's if the backbone applies it, else the
            backbone's own. A backbone declares the modes it applies
            (``Backbone.test_time``); any other is an error when the config is read.
        adabn: re-estimate the model's BatchNorm statistics on the unlabelled target
            training utterances before testing (AdaBN; ``serlib.train.adabn``); only for
            backbones whose trained model runs BatchNorm layers (``small_cnn``, ``byols``).
        refine: ``none``, or ``speaker_centroids``: re-label each target test speaker's
            utterances by their own class centroids (SHOT's centroid pseudo-labels at test
            time, per speaker, no labels; ``serlib.adapt.speaker_centroids``).
        test_time: a grid axis over the four test-time settings above: a list of
            mappings, each setting some of them (the others keep their top-level value);
            empty: one point, the top-level values.
        selection: how a run with target labels selects its model: ``cv`` (k-fold
            cross-validation inside its labelled utterances; the default),
            ``source_dev`` or ``target_dev`` (a labelled target dev split, whose labels
            then count in ``labels_used``); see ``serlib.experiments.SELECTIONS``.
        cv_folds: the folds of ``selection: cv``.
        weights: pre-trained weights of the backbone: a local file or a registry name.
            None: the backbone's default (BYOL-S: ``$SERLIB_BYOLS_CHECKPOINT``, else the
            published d512 checkpoint; VGG16: ``$SERLIB_VGG16_WEIGHTS``, else torchvision's
            ImageNet download).
        recipe: ``agarla`` or ``baklouti`` (``serlib.experiments.RECIPES``).
        train: recipe and profile field overrides.
        profiles: per-profile overrides.
        device: ``auto``, ``cpu``, ``cuda``, ...
        save_models: save a model bundle per run (for ``serlib predict``).
    """

    name: str
    tasks: tuple[str, ...]
    methods: tuple[str, ...]
    description: str = ""
    data: Literal["corpora", "synthetic"] = "corpora"
    synthetic: str = "smoke"
    synthetic_overrides: Mapping[str, Any] = field(default_factory=dict)
    label_set: str = "agarla5"
    merges: tuple[str, ...] | Mapping[str, tuple[str, ...]] = ()
    restrict_to_target_classes: bool = False
    n_labels: tuple[int | str, ...] = ("all",)
    thresholds: tuple[float, ...] = ()
    trade_offs: tuple[float, ...] = ()
    hyper: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2)
    split_seed: int = 0
    protocol: ProtocolName = "paper"
    n_folds: int | Mapping[str, int] | None = None
    backbone: str | None = None
    backbone_options: Mapping[str, Any] = field(default_factory=dict)
    frames: FRAMES | None = None
    normalize: NORMALIZE | None = None
    adabn: bool = False
    refine: REFINE = "none"
    test_time: tuple[Mapping[str, Any], ...] = ()
    selection: SelectionName = "cv"
    cv_folds: int = 3
    weights: str | None = None
    recipe: str = "agarla"
    train: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    device: str = "auto"
    save_models: bool = True

    def __post_init__(self) -> None:
        where = f"experiment {self.name!r}"
        if self.data not in DATA_KINDS:
            raise ConfigError(f"{where}: data={self.data!r}; use one of {list(DATA_KINDS)}")
        for key in ("tasks", "methods", "seeds"):
            if not getattr(self, key):
                raise ConfigError(f"{where}: {key} must not be empty")
        check_task_corpora(self, where)
        for method in self.methods:
            get_method(method)
        get_recipe(self.recipe)
        get_protocol(self.protocol)
        get_selection(self.selection)
        check_label_set(self, where)
        if self.backbone is not None and self.backbone not in BACKBONE_NAMES:
            raise ConfigError(f"{where}: backbone={self.backbone!r}; use one of "
                              f"{list(BACKBONE_NAMES)} (or null: the profile's)")
        folds = self.n_folds.items() if isinstance(self.n_folds, Mapping) else \
            [("", self.n_folds)]
        for target, n in folds:
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 3):
                at = f"n_folds[{target!r}]" if target else "n_folds"
                raise ConfigError(f"{where}: {at}={n!r}; use 3 or more (or null)")
        for key in ("seeds", "split_seed"):
            values = self.seeds if key == "seeds" else (self.split_seed,)
            for seed in values:
                if isinstance(seed, bool) or not isinstance(seed, int) \
                        or not 0 <= seed <= MAX_SEED:
                    raise ConfigError(f"{where}: {key} entry {seed!r}; use integers in "
                                      f"[0, {MAX_SEED}]")
        if not _DEVICE.match(str(self.device)):
            raise ConfigError(f"{where}: device={self.device!r}; use auto, cpu, cuda, "
                              "cuda:N or mps")
        for name in TEST_TIME:
            value = getattr(self, name)
            if value is not None:
                TEST_TIME[name].check(value, where)
        for i, point in enumerate(self.test_time):
            check_test_time_point(point, f"{where}: test_time[{i}]")
        if self.cv_folds < 2:
            raise ConfigError(f"{where}: cv_folds={self.cv_folds}; use 2 or more")
        for n in self.n_labels:
            if not (n == "all" or (isinstance(n, int) and not isinstance(n, bool) and n >= 0)):
                raise ConfigError(f"{where}: n_labels entry {n!r}; use integers >= 0 or 'all'")
        check_axes(self, where)
        for method, values in self.hyper.items():
            if not isinstance(values, Mapping):
                raise ConfigError(f"{where}: hyper.{method} must be a mapping of "
                                  f"hyper-parameters, got {values!r}")
            for key, value in values.items():
                check_finite(value, f"{where}: hyper.{method}.{key}")
            resolve_hyper(get_method(method), values, where=f"{where}: hyper.{method}")
        for profile in self.profiles:
            get_profile(profile)

@dataclass(frozen=True)
class ResolvedExperiment:
    """An experiment with one profile applied: what the runner executes.

    Attributes:
        config: the experiment config after the profile's overrides (its ``backbone`` and
            ``normalize`` are never None here).
        profile: the profile (with overrides).
        recipe: the recipe (with overrides and the profile's epochs).
        seeds: the seeds to run.
    """

    config: ExperimentConfig
    profile: Profile
    recipe: Recipe
    seeds: tuple[int, ...]


def _config_dirs() -> list[Path]:
    """Where shipped configs live: the installed package data, then a source checkout."""
    dirs = []
    try:
        dirs.append(Path(str(importlib.resources.files("serlib.configs"))))
    except (ModuleNotFoundError, TypeError):  # running from a source tree (PYTHONPATH)
        pass
    dirs.append(Path(__file__).resolve().parents[2] / "configs")
    return [d for d in dirs if d.is_dir()]


def shipped_configs() -> dict[str, Path]:
    """The experiment configs shipped with serlib, by name."""
    found: dict[str, Path] = {}
    for folder in _config_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def find_config(name_or_path: str | os.PathLike[str]) -> Path:
    """An experiment config file: an existing path, or the name of a shipped config.

    Raises:
        ConfigError: neither a file nor a shipped config's name (lists the names).
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    shipped = shipped_configs()
    name = path.name[: -len(".yaml")] if path.name.endswith(".yaml") else path.name
    if name in shipped and (path.parent == Path(".") or path.parent.name == "configs"):
        return shipped[name]
    raise ConfigError(f"experiment config {str(name_or_path)!r} is neither a file nor a "
                      f"shipped config; shipped: {sorted(shipped)}")


def load_experiment(path: str | os.PathLike[str]) -> ExperimentConfig:
    """Load an experiment YAML file by path or by name (unknown keys are an error)."""
    return load_config(ExperimentConfig, find_config(path))


def _names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _route(values: Mapping[str, Any], allowed: dict[str, set[str]],
           where: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {kind: {} for kind in allowed}
    for key, value in values.items():
        kind = next((k for k, names in allowed.items() if key in names), None)
        if kind is None:
            valid = sorted(set().union(*allowed.values()))
            hint = (" (a method hyper-parameter: set it under `hyper: {METHOD: {...}}`, or "
                    "sweep it with `thresholds:` / `trade_offs:`)"
                    if key in {"threshold", "trade_off", "lambda_prior", "lambda_entropy"}
                    else "")
            raise ConfigError(f"{where}: unknown key {key!r}{hint}; valid keys are {valid}")
        out[kind][key] = list(value) if isinstance(value, tuple) else value
    return out


def resolve_experiment(config: ExperimentConfig, profile: str | Profile = "smoke",
                       seeds: Sequence[int] | None = None) -> ResolvedExperiment:
    """Apply ``profile`` (built-in values and the config's overrides) and optional seeds."""
    base = get_profile(profile) if isinstance(profile, str) else profile
    recipe_keys = _names(Recipe) - {"name"}
    profile_keys = {"source_epochs", "adapt_epochs", "steps_per_epoch",
                    "max_per_speaker_emotion"}
    experiment_keys = _names(ExperimentConfig) - {"name", "train", "profiles"}
    train = _route(config.train, {"recipe": recipe_keys, "profile": profile_keys},
                   f"{config.name}: train")
    over = _route(config.profiles.get(base.name, {}),
                  {"experiment": experiment_keys, "recipe": recipe_keys,
                   "profile": profile_keys}, f"{config.name}: profiles.{base.name}")
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(ExperimentConfig)}
    config = config_from_dict(ExperimentConfig, {**values, **over["experiment"]},
                              source=f"{config.name} ({base.name})")
    if config.backbone is None:
        config = dataclasses.replace(config, backbone=base.backbone(config.recipe))
    config = resolve_test_time(config, base)
    prof = config_replace(base, source=f"{config.name}: train/profiles.{base.name}",
                          **{**train["profile"], **over["profile"]})
    if base.dry_run:  # a dry run caps even what the config's own overrides set
        prof = dataclasses.replace(prof, **{k: v for k, v in DRY_RUN.items()
                                            if k in profile_keys})
    recipe = config_replace(get_recipe(config.recipe), source=f"{config.name}: train",
                            **train["recipe"])
    recipe = config_replace(apply_profile(recipe, prof),
                            source=f"{config.name}: profiles.{base.name}", **over["recipe"])
    if prof.dry_run:
        recipe = apply_profile(recipe, prof)
        if config.backbone == "vgg" and "image_size" not in config.backbone_options:
            # the same code path on 64 px images: VGG16 at 224 px takes minutes per step
            # on a CPU (a dry run checks that the GPU path runs, not what it scores)
            config = dataclasses.replace(config, backbone_options={
                **config.backbone_options, "image_size": 64})
    check_budget(config.name, prof, recipe)
    if seeds:  # the Python API's seeds pass the YAML path's validator
        config = config_from_dict(ExperimentConfig, {
            **{f.name: getattr(config, f.name) for f in dataclasses.fields(ExperimentConfig)},
            "seeds": list(seeds)}, source=f"{config.name}: seeds")
    return ResolvedExperiment(config=config, profile=prof, recipe=recipe,
                              seeds=tuple(config.seeds) if seeds else
                              (prof.seeds if prof.dry_run else tuple(config.seeds)))
