"""The experiment runner, and what chapters share with it: profiles, recipes, tasks, runs.

Grids of runs from YAML configs (or configs built in Python), resumable, with tidy results;
the same functions serve a chapter that trains one model by hand (:func:`prepare_task`,
:func:`run_datasets`, :func:`train_source_model`, :func:`train_method`) and the runner that
trains hundreds, so that every comparison uses the same splits, seeds and label subsets.
Names are imported on first use: planning a grid imports no torch.

Chapter: book/10_reproducing.md
"""

from serlib._lazy import lazy_exports

#: public name -> the module that defines it (imported on first use)
_EXPORTS: dict[str, str] = {
    "AGARLA": "serlib.experiments.recipes",
    "BACKBONES": "serlib.experiments.backbones",
    "BAKLOUTI": "serlib.experiments.recipes",
    "Backbone": "serlib.experiments.backbones",
    "ExperimentConfig": "serlib.experiments.config",
    "ExperimentResult": "serlib.experiments.runner",
    "ModelBundle": "serlib.experiments.bundles",
    "PROFILES": "serlib.experiments.profiles",
    "Profile": "serlib.experiments.profiles",
    "RECIPES": "serlib.experiments.recipes",
    "RESULT_COLUMNS": "serlib.experiments.results",
    "Recipe": "serlib.experiments.recipes",
    "ResolvedExperiment": "serlib.experiments.config",
    "ResultPaths": "serlib.experiments.runner",
    "RunOutcome": "serlib.experiments.runner",
    "RunSpec": "serlib.experiments.grid",
    "Study": "serlib.experiments.study",
    "Task": "serlib.experiments.task",
    "TaskCache": "serlib.experiments.task",
    "Trained": "serlib.experiments.training",
    "TrainingData": "serlib.experiments.training",
    "apply_profile": "serlib.experiments.profiles",
    "build_model": "serlib.experiments.bundles",
    "check_weights": "serlib.experiments.weights",
    "expand_grid": "serlib.experiments.grid",
    "find_config": "serlib.experiments.config",
    "get_profile": "serlib.experiments.profiles",
    "get_recipe": "serlib.experiments.recipes",
    "load_experiment": "serlib.experiments.config",
    "load_model_bundle": "serlib.experiments.bundles",
    "make_backbone": "serlib.experiments.backbones",
    "parse_task": "serlib.experiments.config",
    "predict_recordings": "serlib.experiments.bundles",
    "prepare_task": "serlib.experiments.task",
    "read_results": "serlib.experiments.results",
    "render_summary": "serlib.experiments.results",
    "resolve_experiment": "serlib.experiments.config",
    "resolve_weights": "serlib.experiments.weights",
    "run_datasets": "serlib.experiments.task",
    "run_experiment": "serlib.experiments.runner",
    "run_one": "serlib.experiments.runner",
    "save_model_bundle": "serlib.experiments.bundles",
    "save_run_bundle": "serlib.experiments.runner",
    "shipped_configs": "serlib.experiments.config",
    "summarize_results": "serlib.experiments.results",
    "train_method": "serlib.experiments.training",
    "train_run": "serlib.experiments.runner",
    "train_source_model": "serlib.experiments.training",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
