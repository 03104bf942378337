"""Grade a folder of submitted student notebooks: one CSV row per student and check.

    python tools/autograde.py SUBMISSIONS --out grades [--assignment A4] [--bars FILE]
    make grade SUBMISSIONS=path/to/folder [ASSIGNMENT=A4]

``SUBMISSIONS`` holds ``.ipynb`` files: ``alice.ipynb`` (the student is the file's stem) or
``alice/07_mmd.ipynb`` (the student is the folder). Each notebook is executed **alone**, in
a fresh working folder, by a child process (``python tools/autograde.py _execute``) with a
memory limit (``RLIMIT_AS``, inherited by its kernel), a limit per cell (the cell is
interrupted and the next one runs) and a wall-clock limit for the whole notebook (the process
group is killed). Nothing is executed but the submitted cells and one cell the grader appends
after them, which runs the checks on the notebook's namespace
(:func:`serlib.book.grading.write_report`): the exercise checks of the chapters whose
exercises the notebook holds (or, with ``--assignment``, every check of that assignment's
chapters), the assignment's pass bars computed on the student's own results rows, and A7's
automatic checks. A notebook that raises, loops or allocates without bound fails its checks,
with the reason in its feedback; the others are graded as usual.

Writes ``OUT/grades.csv`` (columns: student, check, kind, passed, points, max_points, value,
bar, notebook, feedback), ``OUT/feedback/<student>.md`` and the executed notebooks in
``OUT/executed/<student>/``. The pass bars come from the executed instructor guide
(``_build/<edition>/executed/book/instructor_guide.ipynb``, the glued ``grading_bars_ig``) or
from a JSON file with the same content (``--bars``).

Why not otter-grader or nbgrader (both evaluated first): both want the assignment written in
their own notebook format and generate the student version themselves (otter: ``otter
assign`` with its question/test cells; nbgrader: cell metadata with grade ids and checksums,
a course directory ``course/step/student/assignment/`` and a gradebook database), which would
be a second source beside the book's MyST chapters and its student edition
(``tools/book_student.py``); otter grades locally in Docker containers and nbgrader only limits
time (``ExecutePreprocessor.timeout``), leaving memory and untrusted code to Docker; nbgrader's
validate button needs a Jupyter server extension that Colab does not run. The book's checks
already run in Jupyter and Colab (``serlib.book.checks``), so grading only needed what this
file adds: an isolated, limited execution per notebook and a CSV.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

COLUMNS = ("student", "check", "kind", "passed", "points", "max_points", "value", "bar",
           "notebook", "feedback")
BARS_KEY = "grading_bars_ig"
_LABEL = re.compile(r":label:\s+(ex-\d\d-\d+)")


# --- what to grade ----------------------------------------------------------------------------
def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """``(student, notebook)`` for every ``.ipynb`` under ``folder`` (checkpoints left out)."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if ".ipynb_checkpoints" in rel.parts:
            continue
        found.append((rel.parts[0] if len(rel.parts) > 1 else path.stem, path))
    return found


def exercises_for(notebook, assignment: str | None) -> list[str]:
    """The checks to run on ``notebook``: those of the assignment's chapters, or its own."""
    from serlib.book.checks import CHECKS
    from serlib.book.grading import ASSIGNMENTS

    if assignment:
        return [ex for ex, spec in CHECKS.items() if spec.chapter in ASSIGNMENTS[assignment]]
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return [ex for ex in CHECKS if ex in set(_LABEL.findall(text))]


def load_bars(path: Path | None, assignment: str | None) -> list[dict]:
    """The pass bars of ``assignment`` from a JSON file or an executed instructor guide."""
    if assignment is None:
        return []
    if path is None:
        candidates = [REPO / "_build" / e / "executed" / "book" / "instructor_guide.ipynb"
                      for e in ("cpu", "smoke")]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            print("[grade] no executed instructor guide (make book PROFILE=cpu) and no --bars:"
                  " grading without pass bars", flush=True)
            return []
    if path.suffix == ".ipynb":
        import nbformat

        notebook = nbformat.read(path, as_version=4)
        found = [out for cell in notebook.cells for out in cell.get("outputs", [])
                 if out.get("metadata", {}).get("scrapbook", {}).get("name") == BARS_KEY]
        if not found:
            raise SystemExit(f"{path} holds no glued {BARS_KEY}: re-execute the instructor guide")
        text = next(v for k, v in found[-1]["data"].items() if k.endswith("text/plain"))
        data = json.loads(ast.literal_eval(text))  # myst-nb stores the str's repr
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    return [{"seeds": data.get("seeds"), **b} for b in data["bars"]
            if b["assignment"] == assignment]


# --- executing one notebook (child process) ---------------------------------------------------
GRADING_CELL = """\
import importlib as _importlib, sys as _sys
for _name in ("serlib.book.exercises", "serlib.book.checks", "serlib.book.grading"):
    if _name in _sys.modules:  # the grader's own code, even if the notebook replaced it
        _importlib.reload(_sys.modules[_name])
from serlib.book.grading import write_report as _write_report
_write_report(globals(), {spec!r}, {path!r})
"""


def _errors(notebook, cell_timeout: float, memory_gb: float) -> list[str]:
    """One sentence per cell that failed, for the feedback."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name = out.get("ename", "?")
            value = next((line.strip() for line in str(out.get("evalue", "")).splitlines()
                          if line.strip()), "")[:200]
            if name in ("KeyboardInterrupt", "CellTimeout"):
                found.append(f"cell {index} did not finish within {cell_timeout:g} s and was "
                             "interrupted (an endless loop?)")
            elif name == "MemoryError":
                found.append(f"cell {index} ran out of memory (the limit is {memory_gb:g} GB); "
                             "what it allocated may have starved the cells after it")
            else:
                found.append(f"cell {index} raised {name}: {value}".rstrip(": "))
    return found


def execute(spec_file: str) -> int:
    """Child: execute the submission plus the grading cell; write a summary (JSON)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    spec = json.loads(Path(spec_file).read_text())
    summary: dict = {"errors": [], "fatal": None}
    notebook = nbformat.read(spec["notebook"], as_version=4)
    n_student = len(notebook.cells)
    notebook.cells.append(nbformat.v4.new_code_cell(GRADING_CELL.format(
        spec=json.dumps(spec["grading"]), path=spec["report"])))
    client = NotebookClient(
        notebook, timeout=spec["cell_timeout"], allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeout", "evalue": f"did not finish within "
                          f"{spec['cell_timeout']} s and was interrupted (an endless loop?)",
                          "traceback": []},
        kernel_name="python3", resources={"metadata": {"path": spec["workdir"]}})
    try:
        client.execute()
    except DeadKernelError:
        summary["fatal"] = ("the kernel died (out of memory in native code, or a crash); the "
                            f"memory limit is {spec['memory_gb']:g} GB")
    except Exception as err:  # nbclient's own failures: reported, never fatal to the run
        summary["fatal"] = f"the notebook could not be executed: {type(err).__name__}: {err}"
    limits = (spec["cell_timeout"], spec["memory_gb"])
    summary["errors"] = _errors(nbformat.from_dict({"cells": notebook.cells[:n_student]}),
                                *limits)
    grading = notebook.cells[n_student] if len(notebook.cells) > n_student else None
    if grading is not None and not summary["fatal"]:
        summary["grading_errors"] = [e.replace("cell 0", "it", 1) for e in _errors(
            nbformat.from_dict({"cells": [grading]}), *limits)]
    nbformat.write(notebook, spec["executed"])
    Path(spec["summary"]).write_text(json.dumps(summary))
    return 0


def _limit_memory(limit_bytes: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def grade_notebook(student: str, path: Path, out: Path, args) -> tuple[list[dict], list[str]]:
    """Execute one submission in a child process; its rows and the notes for its feedback."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook: graded as failing
        note = f"{path.name} is not a readable notebook ({type(err).__name__}: {err})"
        return [{"check": f"runs: {path.name}", "kind": "execution", "passed": False,
                 "points": 0.0, "max_points": 0.0, "value": None, "bar": None,
                 "feedback": note, "notebook": path.name}], [note]
    exercises = exercises_for(notebook, args.assignment)
    token = secrets.token_hex(16)
    work = out / "work" / f"{student}-{path.stem}-{token[:8]}"  # the notebook's folder
    work.mkdir(parents=True)
    private = Path(tempfile.mkdtemp(prefix="serlib-grade-"))  # spec, summary: not beside it
    executed = out / "executed" / student / path.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    spec = {"notebook": str(path.resolve()), "workdir": str(work),
            "report": str(work / f".report-{token}.json"),
            "summary": str(private / "summary.json"), "executed": str(executed),
            "cell_timeout": args.cell_timeout, "memory_gb": args.memory_gb,
            "grading": {"token": token, "exercises": exercises, "bars": args.bars_list,
                        "grid": args.assignment == "A7", "time_limit": args.check_timeout}}
    spec_file = private / "spec.json"
    spec_file.write_text(json.dumps(spec))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    start = time.monotonic()
    with open(private / "log.txt", "w") as log:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_execute",
                                 str(spec_file)], cwd=work, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_limit_memory(int(args.memory_gb * 2**30)))
        try:
            proc.wait(timeout=args.timeout)
            fatal = None
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the child, its kernel and their children
            proc.wait()
            fatal = (f"the notebook did not finish within {args.timeout:g} s (the limit per "
                     "notebook) and was stopped")
    notes = []
    summary_file = Path(spec["summary"])
    if fatal is None and summary_file.exists():
        summary = json.loads(summary_file.read_text())
        fatal = summary["fatal"]
        notes += summary["errors"]
        notes += [f"the grading cell: {e}" for e in summary.get("grading_errors", [])]
    elif fatal is None:
        fatal = (f"the grader's process ended with code {proc.returncode} (memory limit "
                 f"{args.memory_gb:g} GB?)")
    report = Path(spec["report"])
    rows = []
    if report.exists():
        data = json.loads(report.read_text())
        if data.get("token") == token:
            rows = data["rows"]
    if not rows:
        from serlib.book.checks import CHECKS

        failed = [n for n in notes if n.startswith("the grading cell")]
        reason = fatal or (failed[0] if failed else "the grading cell did not run to the end")
        rows = [{"check": ex, "kind": "exercise", "passed": False, "points": 0.0,
                 "max_points": float(CHECKS[ex].points), "value": None, "bar": None,
                 "feedback": f"not graded: {reason}"} for ex in exercises]
        rows += [{"check": f"{b['assignment']} bar", "kind": "pass bar", "passed": False,
                  "points": 0.0, "max_points": float(b.get("points", 3)), "value": None,
                  "bar": b["bar"], "feedback": f"not graded: {reason}"}
                 for b in args.bars_list]
    if fatal:
        notes.insert(0, fatal)
    rows.append({"check": f"runs: {path.name}", "kind": "execution", "passed": not notes,
                 "points": 0.0, "max_points": 0.0, "value": None, "bar": None,
                 "feedback": "ran to the end without an error" if not notes
                 else "; ".join(notes)})
    if fatal and not notes and (private / "log.txt").exists():
        notes.append("the grader's log ends with: "
                     + (private / "log.txt").read_text(errors="replace")[-500:].strip())
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(private, ignore_errors=True)
    print(f"[grade] {student} {path.name}: {sum(r['points'] for r in rows):g}/"
          f"{sum(r['max_points'] for r in rows):g} in {time.monotonic() - start:.0f} s"
          + (f" ({fatal})" if fatal else ""), flush=True)
    return [{**r, "notebook": path.name} for r in rows], notes


# --- the whole folder -------------------------------------------------------------------------
def _best(rows: list[dict]) -> list[dict]:
    """One row per check: the notebook where it scored most (the first on ties)."""
    best: dict[str, dict] = {}
    for row in rows:
        if row["check"] not in best or row["points"] > best[row["check"]]["points"]:
            best[row["check"]] = row
    return list(best.values())


def feedback_markdown(student: str, rows: list[dict], notes: dict[str, list[str]]) -> str:
    total, most = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
    lines = [f"# Feedback for {student}", "", f"**Score: {total:g} / {most:g}**", "",
             "| check | result | points | feedback |", "|---|---|---|---|"]
    for r in rows:
        text = str(r["feedback"]).replace("|", "\\|")
        lines.append(f"| {r['check']} | {'pass' if r['passed'] else 'FAIL'} | "
                     f"{r['points']:g} / {r['max_points']:g} | {text} |")
    for notebook, found in notes.items():
        if found:
            lines += ["", f"## What happened when `{notebook}` ran", ""]
            lines += [f"- {note}" for note in found]
    return "\n".join(lines) + "\n"


def grade_folder(folder: Path, out: Path, args) -> list[dict]:
    """Grade every submission of ``folder``; write the CSV and the feedback; return the rows."""
    from serlib.atomic import atomic_write_text

    args.bars_list = load_bars(args.bars, args.assignment)
    submissions = find_submissions(folder)
    if not submissions:
        raise SystemExit(f"no .ipynb under {folder}: pass the folder of submitted notebooks")
    by_student: dict[str, tuple[list[dict], dict[str, list[str]]]] = {}
    for student, path in submissions:
        try:
            rows, notes = grade_notebook(student, path, out, args)
        except Exception as err:  # the grader's own failure on one notebook: the rest go on
            rows, notes = [], [f"the grader failed on this notebook: {type(err).__name__}: {err}"]
        entry = by_student.setdefault(student, ([], {}))
        entry[0].extend(rows)
        entry[1][path.name] = notes
    table = []
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for student, (rows, notes) in sorted(by_student.items()):
        rows = _best(rows)
        table += [{"student": student, **r} for r in rows]
        atomic_write_text(out / "feedback" / f"{student}.md",
                          feedback_markdown(student, rows, notes))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(table)
    atomic_write_text(out / "grades.csv", buffer.getvalue())
    shutil.rmtree(out / "work", ignore_errors=True)
    print(f"[grade] {len(by_student)} student(s), {len(submissions)} notebook(s): "
          f"{out / 'grades.csv'}, feedback in {out / 'feedback'}", flush=True)
    return table


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_execute"]:
        return execute(argv[1])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("grades"),
                        help="where grades.csv, feedback/ and executed/ go (default: grades)")
    parser.add_argument("--assignment", choices=["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"],
                        help="grade every check of this assignment (and its pass bars); "
                             "default: the checks of the exercises each notebook holds")
    parser.add_argument("--bars", type=Path, help="the pass bars: a JSON file or an executed "
                        "instructor guide (default: _build/cpu, else _build/smoke)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds a notebook may take in all (default: 1800)")
    parser.add_argument("--cell-timeout", type=int, default=900,
                        help="seconds one cell may take before it is interrupted (default: 900)")
    parser.add_argument("--check-timeout", type=float, default=30,
                        help="seconds one exercise check may take (default: 30)")
    parser.add_argument("--memory-gb", type=float, default=8.0,
                        help="address-space limit of each notebook's processes (default: 8; "
                             "importing torch alone maps about 3.5 GB)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    args.out.mkdir(parents=True, exist_ok=True)
    grade_folder(args.submissions, args.out, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
