"""The autograder (tools/autograde.py, `make grade`) on a folder of small notebooks made from
the chapters' own stub exercises: the reference notebooks score full marks, the untouched
student notebooks zero with readable feedback, and notebooks that raise, loop forever or
allocate without bound are graded as failing without stopping the others."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import book_student  # noqa: E402

spec = importlib.util.spec_from_file_location("autograde", REPO / "tools" / "autograde.py")
autograde = importlib.util.module_from_spec(spec)
spec.loader.exec_module(autograde)

LIMITS = ["--cell-timeout", "4", "--timeout", "40", "--memory-gb", "2"]


def _exercise(stem: str, label: str) -> nbformat.NotebookNode:
    (chapter,) = (REPO / "book").glob(f"{stem}_*.md")
    return book_student.stub_exercise(jupytext.read(chapter), label)


def _with_cell(notebook, code: str, at: int = 1):
    notebook = nbformat.from_dict(notebook)
    notebook.cells = [*notebook.cells[:at], nbformat.v4.new_code_cell(code),
                      *notebook.cells[at:]]
    return notebook


def _grade(folder: Path, out: Path, *extra: str) -> list[dict]:
    assert autograde.main([str(folder), "--out", str(out), *LIMITS, *extra]) == 0
    with open(out / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _summary(rows: list[dict]) -> set[tuple]:
    return {(r["student"], r["check"], r["passed"], float(r["points"]), float(r["max_points"]))
            for r in rows}


def test_a_folder_of_reference_stub_and_broken_notebooks(tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    (subs / "reference").mkdir(parents=True)
    (subs / "untouched").mkdir()
    frames, uar = _exercise("03", "ex-03-4"), _exercise("05", "ex-05-5")
    for name, notebook in (("03_log_mel", frames), ("05_measuring", uar)):
        nbformat.write(notebook, subs / "reference" / f"{name}.ipynb")
        nbformat.write(book_student.strip_notebook(notebook), subs / "untouched" / f"{name}.ipynb")
    stub = book_student.strip_notebook(uar)
    nbformat.write(_with_cell(stub, "1 / 0"), subs / "raises.ipynb")
    nbformat.write(_with_cell(stub, "while True:\n    pass"), subs / "loops.ipynb")
    nbformat.write(_with_cell(stub, "hog = []\nwhile True:\n    hog.append(bytearray(2**26))"),
                   subs / "hog.ipynb")
    # a correct notebook whose first cell raises: the cells after it still run and count
    nbformat.write(_with_cell(uar, "undefined_name", at=0), subs / "late.ipynb")
    (subs / "garbage.ipynb").write_text("{ not a notebook")

    rows = _grade(subs, tmp_path / "out")
    assert _summary(rows) == {
        ("reference", "ex-03-4", "True", 1.0, 1.0), ("reference", "ex-05-5", "True", 2.0, 2.0),
        ("reference", "runs: 03_log_mel.ipynb", "True", 0.0, 0.0),
        ("reference", "runs: 05_measuring.ipynb", "True", 0.0, 0.0),
        ("untouched", "ex-03-4", "False", 0.0, 1.0), ("untouched", "ex-05-5", "False", 0.0, 2.0),
        ("untouched", "runs: 03_log_mel.ipynb", "True", 0.0, 0.0),
        ("untouched", "runs: 05_measuring.ipynb", "True", 0.0, 0.0),
        ("raises", "ex-05-5", "False", 0.0, 2.0), ("raises", "runs: raises.ipynb", "False", 0, 0),
        ("loops", "ex-05-5", "False", 0.0, 2.0), ("loops", "runs: loops.ipynb", "False", 0, 0),
        ("hog", "ex-05-5", "False", 0.0, 2.0), ("hog", "runs: hog.ipynb", "False", 0, 0),
        ("late", "ex-05-5", "True", 2.0, 2.0), ("late", "runs: late.ipynb", "False", 0, 0),
        ("garbage", "runs: garbage.ipynb", "False", 0, 0)}
    assert list(rows[0]) == list(autograde.COLUMNS)
    feedback = {r["student"] + " " + r["check"]: r["feedback"] for r in rows}
    assert "not written yet" in feedback["untouched ex-05-5"]
    assert "cell 1 raised ZeroDivisionError" in feedback["raises runs: raises.ipynb"]
    assert "did not finish within 4 s" in feedback["loops runs: loops.ipynb"]
    assert "ran out of memory (the limit is 2 GB)" in feedback["hog runs: hog.ipynb"]
    assert "raised NameError" in feedback["late runs: late.ipynb"]
    assert "not a readable notebook" in feedback["garbage runs: garbage.ipynb"]
    text = (tmp_path / "out" / "feedback" / "untouched.md").read_text()
    assert "**Score: 0 / 3**" in text and "uar_from_confusion" in text
    assert "**Score: 3 / 3**" in (tmp_path / "out" / "feedback" / "reference.md").read_text()
    assert (tmp_path / "out" / "executed" / "reference" / "05_measuring.ipynb").exists()
    assert not (tmp_path / "out" / "work").exists()


def test_an_assignment_grades_its_pass_bar_on_the_students_own_results(tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    subs.mkdir()
    gap = _exercise("06", "ex-06-4")
    results = ("import pandas as pd\nruns = pd.DataFrame({{'method': 'zero_shot', 'seed': [0, 1],"
               " 'uar': {uar}, 'target': 'emovo', 'target_split_id': 's0', 'selected_on': "
               "'source_dev', 'n_target_labelled': 0, 'status': 'ok'}})")
    nbformat.write(_with_cell(gap, results.format(uar=0.41), at=len(gap.cells)),
                   subs / "good.ipynb")
    nbformat.write(_with_cell(book_student.strip_notebook(gap), results.format(uar=0.30)),
                   subs / "weak.ipynb")
    bars = {"bars": [{"assignment": "A3", "quantity": "zero-shot target-test UAR",
                      "method": "zero_shot", "column": "uar", "bar": 38.5, "reference": 42.0,
                      "target": "emovo", "target_split_id": "s0", "n_target_labelled": None,
                      "points": 3}]}
    (tmp_path / "bars.json").write_text(json.dumps(bars))
    rows = _grade(subs, tmp_path / "out", "--assignment", "A3", "--bars",
                  str(tmp_path / "bars.json"))
    got = {(r["student"], r["check"]): r for r in rows}
    assert _summary(rows) >= {("good", "ex-06-4", "True", 1.0, 1.0),
                              ("good", "A3 bar", "True", 3.0, 3.0),
                              ("weak", "ex-06-4", "False", 0.0, 1.0),
                              ("weak", "A3 bar", "False", 0.0, 3.0)}
    assert float(got[("good", "A3 bar")]["value"]) == pytest.approx(41.0)
    assert "30.0 % over seed(s) [0, 1] is below the bar 38.5" in got[("weak", "A3 bar")][
        "feedback"]


def test_the_bars_are_read_from_the_executed_instructor_guide(tmp_path: Path) -> None:
    bars = {"edition": "smoke", "bars": [{"assignment": "A4", "bar": 77.1}]}
    output = nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": repr(json.dumps(bars))},
        metadata={"scrapbook": {"name": autograde.BARS_KEY,
                                "mime_prefix": "application/papermill.record/"}})
    cell = nbformat.v4.new_code_cell("glue(...)", outputs=[output])
    guide = tmp_path / "instructor_guide.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), guide)
    assert autograde.load_bars(guide, "A4") == [{"seeds": None, **bars["bars"][0]}]
    assert autograde.load_bars(guide, "A5") == []
    assert autograde.load_bars(guide, None) == []


@pytest.mark.slow
def test_a_notebook_that_ignores_interrupts_is_stopped_at_the_notebook_limit(
        tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    subs.mkdir()
    stub = book_student.strip_notebook(_exercise("05", "ex-05-5"))
    nbformat.write(_with_cell(stub, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)"
                              "\nwhile True:\n    pass"), subs / "stubborn.ipynb")
    nbformat.write(_exercise("05", "ex-05-5"), subs / "fine.ipynb")
    assert autograde.main([str(subs), "--out", str(tmp_path / "out"), "--cell-timeout", "3",
                           "--timeout", "12"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    got = {(r["student"], r["check"]): r for r in rows}
    assert "did not finish within 12 s" in got[("stubborn", "ex-05-5")]["feedback"]
    assert got[("fine", "ex-05-5")]["passed"] == "True"
