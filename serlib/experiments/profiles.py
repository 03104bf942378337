"""Profiles: how much of a recipe a machine runs, and on what data the chapters run.

Every chapter and every experiment runs under one profile. A profile changes **how long
and on how much data**, and which backbone stands in for the paper's where the paper's does
not fit the machine; it never changes the code path:

- ``smoke`` (the default of every chapter): the synthetic corpus (two languages, generated
  in seconds), the small CNN, a few epochs of a few steps. Any CPU, CI. Its numbers teach
  the mechanics only.
- ``cpu``, the **real-data edition**: RAVDESS (English) as source, EmoDB (German) and EMOVO
  (Italian) as targets, the pre-trained BYOL-S encoder with its trunk frozen and cached.
  A 2-core CPU.
- ``full``: paper scale on a GPU: BYOL-S fine-tuned (Agarla et al.) or VGG16 with ImageNet
  weights at 224 px (Baklouti et al.), the papers' schedules; one seed on the pages (each
  chapter fits a free Colab session), every seed through ``serlib experiment run``.

``get_profile(name, dry_run=True)`` caps any profile to a handful of steps and utterances
(one epoch of two steps of 8 utterances, one utterance per speaker and emotion, one seed;
VGG16 on 64 px images unless the experiment sets ``image_size``)
while keeping its data, backbones and code path: the ``full`` dry run proves the GPU path
runs end to end on a CPU before anyone pays for a GPU.

The values live here only: chapters print them (``profile.describe()``) instead of keeping
a table of their own.

**Never silently on the CPU or on synthetic data.** ``name`` is the profile's *key* (it
names results files and chooses the chapters' code paths) and never changes; ``label`` is
what pages and results rows *show* (:attr:`Profile.shown`). :func:`chapter_profile` sets
it when a run is not what its name promises: ``"full (synthetic fallback)"`` when the
corpora are missing, ``"full (no CUDA: CPU)"`` when ``full`` runs without a usable CUDA
device (it then prints torch's CUDA build, the driver and the GPU's compute capability, so
a driver/wheel mismatch is visible), with the reason in ``note``. A results row should carry
``profile.shown`` and ``profile.note`` (columns ``profile`` and ``profile_note``).

Chapter: book/intro.md
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from serlib.errors import ConfigError
from serlib.experiments.recipes import Recipe

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DRY_RUN", "PROFILES", "Profile", "apply_profile", "chapter_profile", "get_profile",
           "missing_corpora"]


@dataclass(frozen=True)
class Profile:
    """How much to run, and the chapters' default data and backbones.

    Attributes:
        name: ``"smoke"``, ``"cpu"`` or ``"full"``.
        summary: one line for tables.
        source_epochs: replaces the recipe's source epochs (None: keep the recipe's).
        adapt_epochs: replaces the recipe's adaptation epochs.
        steps_per_epoch: replaces the recipe's steps per epoch.
        batch_size: replaces the recipe's batch size (None: keep the recipe's).
        max_per_speaker_emotion: keep at most this many utterances of each speaker and
            emotion (None: all). Speakers are all kept, so splits stay speaker-independent.
        data: ``"synthetic"`` or ``"corpora"`` (real corpora under ``$SERLIB_DATA``).
        source: the chapters' source domain (a corpus id or a synthetic language).
        targets: the chapters' target domains.
        synthetic: the synthetic corpus profile (``serlib.data.synthetic_config``).
        backbones: the backbone per recipe (``agarla``, ``baklouti``) when an experiment
            does not name one.
        normalize: the normalisation when an experiment does not name one.
        test_time_columns: the chapters' test-time columns, the inductive one first: each a
            point of the ``test_time`` axis (:mod:`serlib.experiments.test_time`; settings it
            does not name are the backbone's defaults). A chapter's real-data tables run
            once per column, so that every number says what it knew (``Study.columns``).
        seeds: the seeds a chapter's comparison runs over.
        dry_run: capped to a handful of steps (see the module docstring).
        label: what pages show instead of ``name`` when the run is not what the name
            promises (e.g. ``"full (synthetic fallback)"``); empty: ``name``.
        note: why (e.g. the missing corpora, the missing CUDA device); empty when none.
    """

    name: str
    summary: str = ""
    source_epochs: int | None = None
    adapt_epochs: int | None = None
    steps_per_epoch: int | None = None
    max_per_speaker_emotion: int | None = None
    batch_size: int | None = None
    data: str = "corpora"
    source: str = "ravdess"
    targets: tuple[str, ...] = ("emodb", "emovo")
    synthetic: str = "smoke"
    backbones: Mapping[str, str] = field(default_factory=dict)
    normalize: str = "utterance"
    test_time_columns: tuple[Mapping[str, Any], ...] = ({"refine": "none"},)
    seeds: tuple[int, ...] = (0, 1, 2)
    dry_run: bool = False
    label: str = ""
    note: str = ""

    @property
    def shown(self) -> str:
        """The profile as pages and results rows show it: ``label`` if set, else ``name``."""
        return self.label or self.name

    def backbone(self, recipe: str) -> str:
        """The backbone this profile uses for a recipe's experiments."""
        if recipe not in self.backbones:
            raise ConfigError(f"profile {self.name!r} has no backbone for recipe {recipe!r}; "
                              f"it knows {sorted(self.backbones)}")
        return self.backbones[recipe]

    def tasks(self) -> tuple[str, ...]:
        """The chapters' tasks, ``"source -> target"`` for every target."""
        return tuple(f"{self.source} -> {target}" for target in self.targets)

    def describe(self) -> pd.DataFrame:
        """The profile as a two-column table (setting, value), for a chapter to show.

        Its ``name`` row shows :attr:`shown` (e.g. ``full (synthetic fallback)``), and the
        ``note`` row, when there is one, says why.
        """
        import pandas as pd

        rows = [(f.name, self.shown if f.name == "name" else getattr(self, f.name))
                for f in dataclasses.fields(self)
                if f.name not in ("label", "note") or getattr(self, f.name)]
        shown = [(k, _columns_text(v) if k == "test_time_columns"
                  else ", ".join(v) if isinstance(v, tuple) and all(isinstance(x, str) for x in v)
                  else dict(v) if isinstance(v, Mapping) else v) for k, v in rows]
        return pd.DataFrame(shown, columns=["setting", "value"]).set_index("setting")


def _columns_text(columns: tuple[Mapping[str, Any], ...]) -> str:
    """``inductive (frames none, normalize source); target speaker (...)``: for tables."""
    from serlib.experiments.test_time import describe_point, test_time_info

    return "; ".join(f"{test_time_info(c)} ({describe_point(c) or 'defaults'})"
                     for c in columns)


#: the named profiles (see the module docstring)
PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        "smoke", "synthetic corpus, small CNN, a few steps: any CPU in minutes",
        source_epochs=30, adapt_epochs=15, data="synthetic", source="lang_a",
        targets=("lang_b",), synthetic="smoke",
        backbones={"agarla": "mel_stats", "baklouti": "mel_stats"}, normalize="source",
        test_time_columns=({"normalize": "source"}, {"normalize": "speaker"})),
    "cpu": Profile(
        "cpu", "RAVDESS → EmoDB, EMOVO; frozen pre-trained BYOL-S embeddings: a 2-core CPU",
        source_epochs=20, adapt_epochs=20,
        backbones={"agarla": "byols_embed", "baklouti": "byols_embed"}, normalize="speaker",
        # inductive: source statistics only; target speaker: each test speaker's frames and
        # embeddings corrected by its own statistics (chapter 9 adds refinement)
        test_time_columns=({"frames": "none", "normalize": "source"},
                           {"frames": "speaker", "normalize": "speaker"})),
    # one seed and one test-time column (the backbones' own inductive normalisation) on the
    # pages: a chapter's full edition fits a free Colab session (<= 2 h on a T4,
    # tools/cost_report.py); every seed and both columns of the complete grids run through
    # `serlib experiment run CONFIG --profile full` (the configs' own seeds and columns)
    "full": Profile(
        "full", "paper scale: BYOL-S fine-tuned, VGG16 (ImageNet) at 224 px: a GPU",
        backbones={"agarla": "byols", "baklouti": "vgg"}, seeds=(0,)),
}

#: what a dry run changes in any profile
DRY_RUN = {"source_epochs": 1, "adapt_epochs": 1, "steps_per_epoch": 2, "batch_size": 8,
           "max_per_speaker_emotion": 1, "seeds": (0,), "dry_run": True}


def get_profile(name: str, *, dry_run: bool = False) -> Profile:
    """A profile of :data:`PROFILES` by name, optionally capped to a dry run."""
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose from {sorted(PROFILES)}")
    profile = PROFILES[name]
    return dataclasses.replace(profile, **DRY_RUN) if dry_run else profile


def apply_profile(recipe: Recipe, profile: Profile | str) -> Recipe:
    """``recipe`` with the profile's epochs, steps per epoch and batch size (its data cap is the
    caller's business: see ``Profile.max_per_speaker_emotion``)."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    changes = {k: getattr(profile, k)
               for k in ("source_epochs", "adapt_epochs", "steps_per_epoch", "batch_size")
               if getattr(profile, k) is not None}
    capped = dataclasses.replace(recipe, **changes)
    if profile.dry_run and profile.name in PROFILES:  # what the cost report scales up to
        _register_full(capped, apply_profile(recipe, PROFILES[profile.name]),
                       seeds=PROFILES[profile.name].seeds)
    return capped


def _register_full(capped: Recipe, full: Recipe, *, seeds: tuple[int, ...]) -> None:
    """Tell the cost recorder which uncapped schedule each capped stage stands for (and over
    how many seeds: a dry run runs one)."""
    from serlib.train.costs import register_full_schedule

    for stage in ("source", "adapt"):
        small = capped.train_config(stage, seed=0)
        big = full.train_config(stage, seed=0)
        register_full_schedule(
            {"num_epochs": small.num_epochs, "steps_per_epoch": small.steps_per_epoch,
             "lr": small.lr},
            {"num_epochs": big.num_epochs, "steps_per_epoch": big.steps_per_epoch,
             "batch_size": full.batch_size, "recipe": full.name, "stage": stage,
             "seeds": len(seeds)})


def _no_cuda(profile: Profile, log: Callable[[str], None] | None) -> Profile:
    """``profile`` (``full``) relabelled and loudly reported when no CUDA device is usable."""
    import torch

    if torch.cuda.is_available():
        return profile
    from serlib.train.runtime import accelerator_report

    report = accelerator_report()
    why = (f"torch {report['torch']} built for CUDA {report['torch_cuda']}; driver "
           f"{report['driver'] or 'none found (no nvidia-smi)'}; GPU {report['gpu'] or 'none'}")
    message = ("!" * 78 + f"\nWARNING: PROFILE={profile.name!r} is meant for a CUDA GPU, but "
               f"torch sees none ({why}). This run uses the CPU and will take many hours. "
               "A driver older than the wheel's CUDA, or a GPU whose compute capability the "
               "wheel does not support, looks like this: install the torch build for your "
               "driver (https://pytorch.org/get-started/locally/), or on Colab choose "
               "Runtime > Change runtime type > GPU.\n" + "!" * 78)
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    if log is not None:
        log(message)
    return dataclasses.replace(profile, label=f"{profile.shown} (no CUDA: CPU)",
                               note="; ".join(filter(None, [profile.note,
                                                            f"no CUDA device: {why}"])))


def missing_corpora(profile: Profile) -> list[str]:
    """The corpora of ``profile`` (source and targets) that are not under ``$SERLIB_DATA``."""
    if profile.data != "corpora":
        return []
    from serlib.data import corpus_dir
    from serlib.data.scan import INCOMPLETE_MARKER

    wanted = [c.rstrip("?") for side in (profile.source, *profile.targets)
              for c in side.split("+") if not c.endswith("?")]
    return [c for c in dict.fromkeys(wanted)
            if not corpus_dir(c).is_dir() or (corpus_dir(c) / INCOMPLETE_MARKER).exists()]


def chapter_profile(name: str, *, dry_run: bool = False,
                    log: Callable[[str], None] | None = print) -> Profile:
    """The profile a chapter runs under: ``get_profile(name, dry_run=...)``, checked.

    A real-data profile whose corpora are not all on disk still runs: without some targets
    it keeps the ones present; without the source or any target it falls back to the
    synthetic corpus of the smoke profile. Either way ``log`` says which corpora are missing
    and how to get them (``serlib data fetch ID``), and the synthetic fallback is labelled
    ``"<name> (synthetic fallback)"`` (:attr:`Profile.shown`; ``name`` stays the key).
    ``full`` without a usable CUDA device warns loudly and is labelled
    ``"full (no CUDA: CPU)"`` (not in a dry run, which is meant for the CPU).
    """
    profile = get_profile(name, dry_run=dry_run)
    if profile.name == "full" and not dry_run:
        profile = _no_cuda(profile, log)
    missing = missing_corpora(profile)
    if not missing:
        return profile
    from serlib.data import CORPORA

    how = "; ".join(f"`serlib data fetch {c}`" + (" (licensed: see `serlib data list --long`)"
                                                  if CORPORA[c].fetch == "manual" else "")
                    for c in missing)
    targets = tuple(t for t in profile.targets if t not in missing)
    if profile.source in missing or not targets:
        fallback = dataclasses.replace(
            get_profile("smoke", dry_run=dry_run), name=profile.name,
            label=f"{profile.shown} (synthetic fallback)",
            note="; ".join(filter(None, [profile.note, f"corpora missing: {missing}"])),
            summary=f"{profile.summary} — corpora missing: this run uses the synthetic corpus")
        if log is not None:
            log(f"PROFILE={name!r} needs the corpora {missing}, which are not under "
                f"$SERLIB_DATA; get them with {how}. This run uses the synthetic corpus "
                "instead, so its numbers are not those of real speech.")
        return fallback
    if log is not None:
        log(f"PROFILE={name!r}: the corpora {missing} are not under $SERLIB_DATA (get them "
            f"with {how}); this run uses the targets {list(targets)}.")
    return dataclasses.replace(profile, targets=targets)
