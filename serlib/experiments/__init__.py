"""The experiment runner, and what chapters share with it: profiles, recipes, tasks, runs.

Grids of runs from YAML configs (or configs built in Python), resumable, with tidy results;
the same functions serve a chapter that trains one model by hand (:func:`prepare_task`,
:func:`run_datasets`, :func:`train_source_model`, :func:`train_method`) and the runner that
trains hundreds, so that every comparison uses the same splits, seeds and label subsets.
Names are imported on first use: planning a grid imports no torch.

Chapter: book/10_reproducing.md
"""

from serlib._lazy import lazy_exports

#: module -> the public names it defines that this package re-exports (imported on first use)
_MODULES: dict[str, tuple[str, ...]] = {
    "serlib.experiments.backbones": ("BACKBONES", "Backbone", "make_backbone"),
    "serlib.experiments.bundles": (
        "ModelBundle", "build_model", "load_model_bundle", "recording_log_mels",
        "save_model_bundle",
    ),
    "serlib.experiments.calibration": ("MIN_RECORDINGS", "calibrated_bundle"),
    "serlib.experiments.config": (
        "ExperimentConfig", "ResolvedExperiment", "find_config", "load_experiment", "parse_task",
        "resolve_experiment", "shipped_configs",
    ),
    "serlib.experiments.cuts": ("ConfigCut", "Cut", "dry_run_config", "dry_run_cut",
                                "grid_weight"),
    "serlib.experiments.grid": ("RunSpec", "expand_grid"),
    "serlib.experiments.protocols": ("PROTOCOLS", "Protocol", "get_protocol"),
    "serlib.experiments.recordings": ("predict_recordings",),
    "serlib.experiments.profiles": (
        "DRY_RUN", "PROFILES", "Profile", "apply_profile", "chapter_profile", "get_profile",
        "missing_corpora",
    ),
    "serlib.experiments.published": ("PUBLISHED", "published_table"),
    "serlib.experiments.recipes": ("AGARLA", "BAKLOUTI", "RECIPES", "Recipe", "get_recipe"),
    "serlib.experiments.results": ("RESULT_COLUMNS", "append_result", "read_results"),
    "serlib.experiments.runner": (
        "ExperimentResult", "ResultPaths", "RunOutcome", "run_experiment", "run_one",
        "save_run_bundle", "train_run",
    ),
    "serlib.experiments.scaling": ("ScalingWork", "data_parallel_timing"),
    "serlib.experiments.selection": ("SELECTIONS", "SelectionMode", "labels_used"),
    "serlib.experiments.source_models": ("load_or_train_source_model", "source_model_dir"),
    "serlib.experiments.study": ("Study",),
    "serlib.experiments.summary": ("render_summary", "summarize_results"),
    "serlib.experiments.task": (
        "Task", "TaskCache", "prepare_task", "run_datasets", "run_target_table",
    ),
    "serlib.experiments.test_time": (
        "ASSUMES", "TEST_TIME", "TEST_TIME_INFO", "TestTimeSetting", "describe_point",
        "inductive_first", "test_time_info",
    ),
    "serlib.experiments.training": (
        "Trained", "TrainingData", "train_method", "train_source_model",
    ),
    "serlib.experiments.weights": ("check_weights", "resolve_weights"),
}

__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
