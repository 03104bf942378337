"""The source-model cache: each source model trained once, shared by every experiment.

A source model (trained on the labelled source data, selected on source dev) depends only
on the source domain, the seed and the settings that shape its training: the data and
label set, the split seed, the backbone with its options, weights and input test-time
settings (``frames``, ``normalize``), the recipe and the profile's data and epochs. Those
settings, and nothing else (not the experiment's name, target, methods, protocol or
refinement), key the file under ``$SERLIB_CACHE/source-models/``, so two chapters or
studies with equal settings share one model.

The file is written with a digest (atomically); a damaged or unreadable file is trained
again with a warning. Under ``torchrun`` rank 0 writes it and the others wait.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from serlib.config import config_hash
from serlib.data import cache_root
from serlib.errors import CacheWarning, CheckpointError, ChecksumError
from serlib.experiments.training import TrainingData, train_source_model
from serlib.integrity import check_finite_state, load_torch_file, verify_digest, write_with_digest
from serlib.train import remove_checkpoint
from serlib.train.distributed import barrier, is_main_process

if TYPE_CHECKING:
    from serlib.experiments.config import ResolvedExperiment
    from serlib.experiments.grid import RunSpec
    from serlib.experiments.task import Task

__all__ = ["SOURCE_MODEL_FORMAT", "SOURCE_SETTINGS", "load_or_train_source_model",
           "source_model_dir", "source_model_key"]

#: bumped when how a source model is trained changes
SOURCE_MODEL_FORMAT = 1
#: the run settings that determine the source model
SOURCE_SETTINGS = ("data", "synthetic", "label_set", "merges", "split_seed", "backbone",
                   "backbone_options", "weights", "profile")
#: recipe fields that only the adaptation stage reads
_ADAPT_ONLY = ("adapt_epochs", "adapt_lr")


def source_model_dir() -> Path:
    """``$SERLIB_CACHE/source-models``: shared by every experiment and study."""
    return cache_root() / "source-models"


def source_model_key(run: RunSpec) -> str:
    """A hash of what determines the run's source model (see the module docstring)."""
    settings = {k: run.settings.get(k) for k in SOURCE_SETTINGS}
    if isinstance(settings["profile"], dict):
        settings["profile"] = {k: v for k, v in settings["profile"].items()
                               if k not in _ADAPT_ONLY}
    recipe = {k: v for k, v in run.settings.get("recipe", {}).items() if k not in _ADAPT_ONLY}
    inputs = {k: run.test_time.get(k) for k in ("frames", "normalize")}
    return config_hash(settings, recipe, inputs, run.source, run.seed, SOURCE_MODEL_FORMAT)


def load_or_train_source_model(run: RunSpec, task: Task, training: TrainingData,
                               plan: ResolvedExperiment, *, progress: bool,
                               folder: Path | None = None
                               ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The source model of the run's source and seed: trained once, then read from disk.

    Args:
        folder: where models live (None: :func:`source_model_dir`).

    Returns:
        ``(state, info)``: the weights (on the CPU) and how the model was selected
        (``selected_on``, ``best_epoch``, ``dev_uar``, ``epochs``, ``wall_time``).
    """
    key = source_model_key(run)
    folder = source_model_dir() if folder is None else folder
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", run.source)
    file = folder / f"source-{name}-seed{run.seed}-{key}.state.pt"
    if file.is_file():
        try:
            verify_digest(file)
            payload = load_torch_file(file, fix="it is retrained")
            check_finite_state(payload["state"], source=f"cached source model {file}")
            return payload["state"], payload["info"]
        except (ChecksumError, CheckpointError, KeyError, TypeError) as err:
            warnings.warn(f"cached source model {file} is damaged ({err}); training it again",
                          CacheWarning, stacklevel=2)
    start = time.perf_counter()
    checkpoint = folder / f"source-{key}.ckpt"
    trained = train_source_model(training, task.backbone, plan.recipe,
                                 num_classes=len(task.labels), seed=run.seed,
                                 device=plan.config.device, checkpoint=checkpoint,
                                 progress=progress)
    info = {**trained.selection(), "wall_time": time.perf_counter() - start}
    state = {k: v.detach().cpu() for k, v in trained.model.state_dict().items()}
    if is_main_process():  # under torchrun, rank 0 writes; the others wait for the file
        write_with_digest(file, lambda tmp: torch.save({"state": state, "info": info}, tmp))
        remove_checkpoint(checkpoint)  # and its digest
    barrier()
    return state, info
