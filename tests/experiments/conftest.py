"""A tiny synthetic experiment: 2 languages x 4 speakers x 5 emotions x 2 utterances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

TINY = {
    "name": "tiny",
    "data": "synthetic",
    "synthetic": "smoke",
    "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 2},
    "tasks": ["lang_a -> lang_b"],
    "methods": ["zero_shot", "transfer", "hard_pl"],
    "n_labels": [4],
    "seeds": [0],
    "backbone": "small_cnn",
    "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8},
    "train": {"batch_size": 8},
    "profiles": {"smoke": {"source_epochs": 2, "adapt_epochs": 1, "steps_per_epoch": 2}},
    "device": "cpu",
}


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """``write_config(**changes)``: the tiny experiment (with changes) as a YAML file."""

    def write(name: str = "tiny.yaml", **changes: object) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump({**TINY, **changes}, sort_keys=False))
        return path

    return write
