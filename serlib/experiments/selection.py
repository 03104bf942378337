"""How a run that trains on target labels chooses its model, and how many labels that costs.

Every target label a run touches counts (``labels_used`` in every results row), model
selection included. A run **without** target labels (zero-shot, unsupervised adaptation)
is always selected on the labelled *source* dev split: it uses no target label. A run
**with** ``n`` target labels is selected by the experiment's ``selection``, one entry of
:data:`SELECTIONS`:

- ``cv`` (the default): k-fold cross-validation inside the ``n`` labelled utterances picks
  the number of epochs (the mean fold curve's best epoch), then the model is trained again
  on all ``n`` for that many epochs; ``labels_used = n``;
- ``source_dev``: label-free for the target: the source dev split selects the epoch;
  ``labels_used = n``;
- ``target_dev``: a labelled, speaker-disjoint target dev split selects the epoch (the
  papers' protocol, for comparison with them); ``labels_used = n + the dev split's size``.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from serlib.errors import ConfigError

__all__ = ["SELECTIONS", "SelectionMode", "SelectionName", "get_selection", "labels_used"]

SelectionName = Literal["cv", "source_dev", "target_dev"]


@dataclass(frozen=True)
class SelectionMode:
    """One way to select a model trained on target labels.

    Attributes:
        name: its ``selection`` value (recorded as ``selected_on``).
        target_dev_labels: True if it reads the labelled target dev split (its labels count).
        retrains: True if it trains the model again after choosing the epoch count.
        doc: one line.
    """

    name: str
    target_dev_labels: bool
    retrains: bool
    doc: str


#: every selection mode, by its ``selection`` value
SELECTIONS: dict[str, SelectionMode] = {
    "cv": SelectionMode("cv", False, True,
                        "k-fold cross-validation inside the n labelled utterances picks the "
                        "epoch count, then all n train it"),
    "source_dev": SelectionMode("source_dev", False, False,
                                "the source dev split picks the epoch (no target label)"),
    "target_dev": SelectionMode("target_dev", True, False,
                                "a labelled target dev split picks the epoch (its labels "
                                "count)"),
}


def get_selection(name: str) -> SelectionMode:
    """The selection mode called ``name``.

    Raises:
        ConfigError: unknown name (lists the valid ones).
    """
    if name not in SELECTIONS:
        raise ConfigError(f"selection={name!r}; use one of {list(SELECTIONS)}")
    return SELECTIONS[name]


def labels_used(selected_on: str | None, n_target_labelled: int, n_target_dev: int) -> int:
    """Every target label a run touched: its labelled subset, plus the target dev split
    when that split selected the model.

    Example:
        >>> labels_used("target_dev", 100, 80), labels_used("cv", 100, 80)
        (180, 100)
        >>> labels_used("source_dev", 0, 80)
        0
    """
    extra = n_target_dev if selected_on in SELECTIONS and \
        SELECTIONS[selected_on].target_dev_labels else 0
    return int(n_target_labelled) + int(extra)
