"""Model selection: score every epoch on a labelled dev split and keep the best weights.

The engine does not know any metric. A :class:`ModelSelection` names the split it scores
(``selected_on`` in every result) and carries the score function, e.g. the dev UAR of
:func:`serlib.evaluate.uar_selection`. After every epoch :func:`select_epoch` scores the
model; when the score improves it keeps a copy of the weights (on the CPU), otherwise it
counts the epoch towards early stopping.

Chapter: book/05_measuring.md
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from serlib.errors import NonFiniteError
from serlib.train.checkpoint import TrainState

__all__ = ["ModelSelection", "select_epoch"]


@dataclass(frozen=True)
class ModelSelection:
    """How a run chooses its epoch: a named dev split and a score to maximise.

    Attributes:
        name: the split the score comes from, e.g. ``"source_dev"`` or ``"target_dev"``
            (never a test split); recorded as ``selected_on``.
        score: ``score(model) -> float``, higher is better (e.g. the dev UAR).
    """

    name: str
    score: Callable[[nn.Module], float]


def select_epoch(model: nn.Module, selection: ModelSelection, state: TrainState, epoch: int,
                 patience: int | None) -> float:
    """Score ``epoch``; keep the weights if it is the best so far; update early stopping.

    Raises:
        NonFiniteError: the score is NaN or infinite.
    """
    score = float(selection.score(model))
    if not math.isfinite(score):
        raise NonFiniteError(f"epoch {epoch}: the {selection.name} score is {score}; "
                             "model selection needs a finite score")
    if score > state.best_score:
        state.best_score, state.best_epoch, state.stale = score, epoch, 0
        state.best_state = copy.deepcopy({k: v.cpu() for k, v in model.state_dict().items()})
    else:
        state.stale += 1
    state.stopped = patience is not None and state.stale >= patience
    return score
