"""Test-time refinements of a run's target predictions, one per ``refine`` value.

:data:`REFINERS` maps each value of the ``refine`` setting (see :mod:`.test_time`) to the
function that applies it, or None (``none``: the predictions as the model made them). The
runner looks the run's value up here; it never tests the value itself.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from serlib.adapt.speaker_centroids import speaker_centroid_scores
from serlib.experiments.test_time import TEST_TIME
from serlib.features import UtteranceDataset
from serlib.train import Predictions

if TYPE_CHECKING:
    from serlib.experiments.grid import RunSpec
    from serlib.experiments.task import Task

__all__ = ["REFINERS", "Refiner", "refine_speaker_centroids"]

Refiner = Callable[[Predictions, "Task", "RunSpec", UtteranceDataset], Predictions]


def refine_speaker_centroids(pred: Predictions, task: Task, run: RunSpec,
                             test: UtteranceDataset) -> Predictions:
    """The target predictions (with the model's features) re-labelled per test speaker
    (``refine: speaker_centroids``): scores are cosine similarities to the speaker's refined
    class centroids."""
    from serlib.experiments.task import run_target_table

    table = run_target_table(task, run)
    speakers = table.loc[table["split"] == "test", "speaker"].astype(str).tolist()
    order = pred.index.tolist()  # the loader's order of the test utterances
    feats = task.backbone.refine_features(pred, test)  # (n, dim), in that order
    scores = speaker_centroid_scores(feats, pred.probs, [speakers[i] for i in order])
    return Predictions(scores, pred.y, pred.feats, pred.index)


#: ``refine`` value → what applies it (None: nothing)
REFINERS: dict[str, Refiner | None] = {"none": None,
                                       "speaker_centroids": refine_speaker_centroids}
assert set(REFINERS) == set(TEST_TIME["refine"].values)
