"""The experiment runner: grids of runs from YAML configs, resumable, with tidy results.

Chapter: book/10_reproducing.md
"""

from serlib.experiments.backbones import BACKBONES, Backbone, make_backbone
from serlib.experiments.config import (
    ExperimentConfig,
    ResolvedExperiment,
    load_experiment,
    parse_task,
    resolve_experiment,
)
from serlib.experiments.grid import RunSpec, expand_grid
from serlib.experiments.results import (
    RESULT_COLUMNS,
    read_results,
    render_summary,
    summarize_results,
)
from serlib.experiments.runner import ExperimentResult, ResultPaths, run_experiment, run_one

__all__ = [
    "BACKBONES",
    "RESULT_COLUMNS",
    "Backbone",
    "ExperimentConfig",
    "ExperimentResult",
    "ResolvedExperiment",
    "ResultPaths",
    "RunSpec",
    "expand_grid",
    "load_experiment",
    "make_backbone",
    "parse_task",
    "read_results",
    "render_summary",
    "resolve_experiment",
    "run_experiment",
    "run_one",
    "summarize_results",
]
