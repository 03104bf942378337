"""Grade what a student's notebook left behind: the exercise checks and the assignments' bars.

``tools/autograde.py`` executes a submitted notebook and then one cell of its own, which calls
:func:`write_report` on the notebook's namespace (``globals()``). The report has one entry per
check:

- an **exercise** (``ex-05-5``): the check of :mod:`serlib.book.checks` on the function the
  student wrote;
- a **pass bar** (``A4 bar``): the instructor guide's bar, computed on the student's *own*
  results rows (any ``DataFrame`` in the namespace with the columns of a results file): the
  mean over seeds of the bar's column for its method and label budget, on the bar's target
  split, selected where the bar says;
- an **automatic part of a rubric** (``A7 rerun``, ``A7 selection``): what can be checked of
  a grid without reading the discussion (the rerun trains 0 runs; no model is selected on
  target test; every run finished).

Chapter: book/instructor_guide.md
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from serlib.book.checks import CHECKS, evaluate

__all__ = ["ASSIGNMENTS", "RESULT_KEYS", "grade_namespace", "write_report"]

#: assignment -> the chapters its exercises come from (the instructor guide's table)
ASSIGNMENTS: dict[str, tuple[str, ...]] = {
    "A1": ("02", "03"), "A2": ("04", "05"), "A3": ("06",), "A4": ("07",), "A5": ("08",),
    "A6": ("09",), "A7": ("10",), "A8": ("11",)}
#: the columns that make a DataFrame a table of results rows
RESULT_KEYS = ("method", "seed", "uar", "target_split_id", "selected_on", "n_target_labelled")


def _row(check: str, kind: str, passed: bool, points: float, max_points: float,
         feedback: str, value: float | None = None, bar: float | None = None) -> dict:
    return {"check": check, "kind": kind, "passed": bool(passed), "points": float(points),
            "max_points": float(max_points), "value": value, "bar": bar, "feedback": feedback}


def _results_rows(namespace: Mapping):
    """Every results row the namespace holds (pandas DataFrames with :data:`RESULT_KEYS`)."""
    import pandas as pd

    tables = [v for k, v in namespace.items() if not k.startswith("_")
              and isinstance(v, pd.DataFrame) and set(RESULT_KEYS) <= set(v.columns)]
    tables += [v.results for v in namespace.values() if isinstance(getattr(v, "results", None),
               pd.DataFrame) and set(RESULT_KEYS) <= set(v.results.columns)]
    if not tables:
        return pd.DataFrame(columns=list(RESULT_KEYS))
    rows = pd.concat(tables, ignore_index=True)
    if "run_key" not in rows.columns:
        return rows
    # one row per run; a copy whose method a chapter renamed for display is kept apart
    return rows.drop_duplicates(subset=["run_key", "method"])


def _grade_bar(spec: Mapping, rows) -> dict:
    """One pass bar on the student's results rows."""
    name = f"{spec['assignment']} bar"
    what = (f"{spec['quantity']} ({spec['method']}, column `{spec['column']}`, target "
            f"{spec['target']}, target split {spec['target_split_id']})")
    points = spec.get("points", 3)
    mine = rows[(rows["method"] == spec["method"])]
    if "target" in rows.columns:
        mine = mine[mine["target"] == spec["target"]]
    if spec.get("n_target_labelled") is not None and spec["method"] not in ("zero_shot",):
        mine = mine[mine["n_target_labelled"].astype(float) == float(spec["n_target_labelled"])]
    if mine.empty:
        return _row(name, "pass bar", False, 0, points,
                    f"no results rows for {what} in the notebook: run it (Study.grid or "
                    "serlib experiment run) and keep the results table in a variable",
                    bar=spec["bar"])
    split = mine[mine["target_split_id"].astype(str) == str(spec["target_split_id"])]
    if split.empty:
        return _row(name, "pass bar", False, 0, points,
                    f"your {spec['method']} rows are on target split(s) "
                    f"{sorted(mine['target_split_id'].astype(str).unique())}, the bar on "
                    f"{spec['target_split_id']}: use the fixed split (split seed 0)",
                    bar=spec["bar"])
    if (split["selected_on"] == "target_test").any():
        return _row(name, "pass bar", False, 0, points, "a model was selected on target test "
                    "(`selected_on` = target_test): select on a dev split", bar=spec["bar"])
    value = 100 * float(split[spec["column"]].astype(float).mean())
    seeds = sorted(split["seed"].astype(int).unique().tolist())
    passed = value >= spec["bar"]
    verdict = "passes" if passed else "is below"
    note = ""
    if spec.get("seeds") and sorted(spec["seeds"]) != seeds:
        note = (f"; the bar is set for the mean over seeds {sorted(spec['seeds'])}: run "
                "those to compare like with like")
    return _row(name, "pass bar", passed, points if passed else 0, points,
                f"{what}: {value:.1f} % over seed(s) {seeds} {verdict} the bar "
                f"{spec['bar']:.1f} % (reference {spec.get('reference', float('nan')):.1f} %)"
                + note, value=round(value, 2), bar=spec["bar"])


def _grade_grid(namespace: Mapping, rows) -> list[dict]:
    """A7's automatic checks: the rerun trains nothing, selection and status are honest."""
    runs = [v for v in namespace.values()
            if hasattr(v, "ran") and hasattr(v, "results") and hasattr(v, "errors")]
    rerun = [r for r in runs if r.ran == 0 and len(r.results) > 0]
    first = [r for r in runs if r.ran > 0]
    ok_rerun = bool(rerun and first)
    out = [_row("A7 rerun", "rubric (automatic)", ok_rerun, 2 if ok_rerun else 0, 2,
                "the second run of the grid trained 0 runs and read its rows back" if ok_rerun
                else "found no pair of runs of one grid where the second trained 0 runs: keep "
                     "both return values of run_experiment (first = ..., second = ...)")]
    bad = rows[rows["selected_on"].astype(str) == "target_test"] if len(rows) else rows
    status = rows["status"].astype(str) if "status" in rows.columns else None
    failed = int((status != "ok").sum()) if status is not None else 0
    honest = len(rows) > 0 and bad.empty and failed == 0
    why = ("no results rows in the notebook" if len(rows) == 0 else
           f"{len(bad)} row(s) selected on target test" if len(bad) else
           f"{failed} run(s) did not finish (status not ok)" if failed else
           f"{len(rows)} results rows, every one finished and selected on a dev split")
    out.append(_row("A7 selection", "rubric (automatic)", honest, 1 if honest else 0, 1, why))
    return out


def grade_namespace(namespace: Mapping, exercises: list[str], *, bars: list[Mapping] = (),
                    grid: bool = False, time_limit: float | None = 30.0) -> list[dict]:
    """The report rows of one notebook (see the module docstring)."""
    out = []
    for result in (evaluate(ex, namespace.get(CHECKS[ex].function), time_limit=time_limit)
                   for ex in exercises):
        feedback = result.report().replace("\n", " ")
        out.append(_row(result.exercise, "exercise", result.passed, result.points,
                        result.max_points, feedback))
    rows = _results_rows(namespace) if bars or grid else None
    out += [_grade_bar(spec, rows) for spec in bars]
    if grid:
        out += _grade_grid(namespace, rows)
    return out


def write_report(namespace: Mapping, spec_json: str, path: str) -> None:
    """Grade ``namespace`` as ``spec_json`` asks and write the rows to ``path`` (JSON)."""
    spec = json.loads(spec_json)
    rows = grade_namespace(namespace, spec["exercises"], bars=spec.get("bars", []),
                           grid=spec.get("grid", False), time_limit=spec.get("time_limit"))
    for row in rows:  # JSON has no NaN
        for key in ("value", "bar"):
            if isinstance(row[key], float) and math.isnan(row[key]):
                row[key] = None
    Path(path).write_text(json.dumps({"token": spec["token"], "rows": rows}))
