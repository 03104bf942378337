"""Dry-run cuts: a sweep that a dry run shortens, and the uncapped sweep it stands for.

A dry run (``get_profile("full", dry_run=True)``) caps every fit to a handful of steps, and
``tools/cost_report.py`` scales each capped fit up to its uncapped schedule. Some chapters
also run *fewer fits* in a dry run: two of four label budgets, one of three seeds, three of
five folds (the dry run's data are too small for the large budgets, or the CPU too slow for
the whole grid). The cost report can only scale the fits it sees, so a cut is stated once,
where it is made, with :func:`dry_run_cut`::

    budgets = dry_run_cut(N_LABELS, profile, keep=2)    # [0, 25] in a dry run, else N_LABELS
    grid = study.grid(methods=["hard_pl"], n_labels=budgets)   # Study weights the fits
    with budgets.counted():                              # a loop by hand: say so
        runs = [study.train("hard_pl", n_labels=n) for n in budgets]

Outside a dry run the helper returns every value and weighs nothing. In a dry run, the fits
of a cut sweep are recorded with a weight (:func:`serlib.train.costs.weighted_fits`): the
uncapped count over the capped count. :meth:`~serlib.experiments.Study.grid` computes it
from the two grids themselves (:func:`grid_weight`: runs a method makes once whatever the
budgets, such as zero-shot, are not multiplied). A whole config that a chapter shortens for
its dry run before ``run_experiment`` goes through :func:`dry_run_config`, which weighs by
the runs of the config under the ``full`` profile itself (its own seeds, folds, targets) over
the runs of the shortened one under the dry run::

    sliced = dry_run_config(config, profile, methods=("zero_shot",), n_folds=3)
    with sliced.counted():
        result = run_experiment(sliced.config, profile)

The estimate errs high where a weighted block also trains a model the uncapped sweep shares
(a source model trained for the first time inside it).

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serlib.errors import ConfigError

if TYPE_CHECKING:
    from serlib.experiments.config import ExperimentConfig, ResolvedExperiment
    from serlib.experiments.profiles import Profile

__all__ = ["ConfigCut", "Cut", "dry_run_config", "dry_run_cut", "grid_weight"]


@contextmanager
def _weighted(weight: float) -> Iterator[None]:
    from serlib.train.costs import weighted_fits  # torch: imported when a chapter trains

    with weighted_fits(weight):
        yield


class Cut(list):
    """The values of a sweep a run makes, and every value the uncapped sweep makes.

    A plain list of the kept values (chapters index, iterate and pass it as they would the
    full list); ``full`` holds every value, :attr:`weight` how many uncapped fits each kept
    one stands for.
    """

    def __init__(self, kept: Iterable[Any], full: Iterable[Any]) -> None:
        super().__init__(kept)
        self.full = tuple(full)

    @property
    def is_cut(self) -> bool:
        """Whether the run makes fewer values than the uncapped sweep."""
        return len(self) < len(self.full)

    @property
    def weight(self) -> float:
        """Uncapped values per kept value (1.0 when nothing is cut)."""
        return len(self.full) / len(self) if self else 1.0

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Record the fits inside as :attr:`weight` fits each (for a loop over the values)."""
        with _weighted(self.weight):
            yield


def dry_run_cut(values: Iterable[Any], profile: Profile, *, keep: int | Iterable[Any]) -> Cut:
    """``values`` (every one), or in a dry run the ones ``keep`` names, as a :class:`Cut`.

    Args:
        values: the sweep the ``full`` edition runs.
        profile: the chapter's profile (only ``profile.dry_run`` is read).
        keep: the number of leading values a dry run keeps, or the values themselves.

    Raises:
        ConfigError: ``keep`` keeps no value, or names a value that is not in ``values``.
    """
    full = list(values)
    if not profile.dry_run:
        return Cut(full, full)
    kept = full[:keep] if isinstance(keep, int) else list(keep)
    missing = [v for v in kept if v not in full]
    if not kept or missing:
        raise ConfigError(f"dry_run_cut: keep={keep!r} must keep at least one of {full} "
                          f"and only values of it (not {missing}); a dry run that runs none "
                          "leaves the cost estimate nothing to scale: keep one value")
    return Cut(kept, full)


def grid_weight(capped: ResolvedExperiment, full: ResolvedExperiment, *,
                seen: tuple[set[str], set[str]] | None = None) -> float:
    """Runs of the uncapped grid ``full`` per run of the capped grid ``capped``.

    Args:
        capped: the grid the dry run makes.
        full: the grid it stands for (the same config with every cut undone).
        seen: ``(capped keys, full keys)`` of runs made earlier (e.g. by another grid of
            the same study), left out of both counts and updated with these grids' keys.

    Returns:
        The weight of each capped run's fits (1.0 when the capped grid has no new run).
    """
    from serlib.experiments.grid import expand_grid

    capped_keys = [r.key for r in expand_grid(capped)[0]]
    full_keys = [r.key for r in expand_grid(full)[0]]
    done_capped, done_full = seen if seen is not None else (set(), set())
    new_capped = set(capped_keys) - done_capped
    new_full = set(full_keys) - done_full
    done_capped.update(capped_keys)
    done_full.update(full_keys)
    return len(new_full) / len(new_capped) if new_capped else 1.0


@dataclass(frozen=True)
class ConfigCut:
    """A config as this run makes it, and how many uncapped runs each of its runs stands for.

    Attributes:
        config: the config to run (shortened in a dry run).
        weight: runs of the uncapped config per run of ``config`` (1.0 outside a dry run).
    """

    config: ExperimentConfig
    weight: float = 1.0

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Record the fits inside (``run_experiment(self.config, ...)``) with the weight."""
        with _weighted(self.weight):
            yield


def dry_run_config(config: ExperimentConfig, profile: Profile, **changes: Any) -> ConfigCut:
    """``config``, or in a dry run ``config`` with ``changes`` (fewer methods, targets, folds).

    The weight is the number of runs of ``config`` under the uncapped profile (its seeds,
    folds and targets, as ``run_experiment(config, profile.name)`` would make them) over the
    number of runs of the changed config under the dry run.

    Raises:
        ConfigError: a change is not a valid config value (``config_replace`` checks it).
    """
    if not profile.dry_run:
        return ConfigCut(config)
    from serlib.config import config_replace
    from serlib.experiments.config import resolve_experiment
    from serlib.experiments.profiles import get_profile

    capped = config_replace(config, source=f"{config.name}: dry_run_config", **changes)
    weight = grid_weight(resolve_experiment(capped, profile),
                         resolve_experiment(config, get_profile(profile.name)))
    return ConfigCut(capped, weight)
