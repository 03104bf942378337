"""The book pipeline's own pieces, on tiny notebooks: solutions stripped, checks, runtimes,
the kernel's environment (fast; no kernel, no Jupyter Book)."""

from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
if not hasattr(builder, "REPO"):
    spec.loader.exec_module(builder)
checks, student, runtimes = builder.book_checks, builder.book_student, builder.book_runtimes
new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
PNG = base64.b64encode(b"\x89PNG fake figure of the solution").decode()


def chapter_notebook():
    """An exercise with a gated solution spanning three cells, as the chapters write them."""
    return nbformat.v4.new_notebook(cells=[
        new_code(":)", outputs=[]),
        new_md("## Exercises\n\n```{exercise-start}\n:label: ex-06-1\n```\nWhich emotion?\n"
               "```{exercise-end}\n```\n\n```{solution-start} ex-06-1\n:class: dropdown\n```\n"
               "Sort the per-class recall difference, like this:"),
        new_code("secret_table = 1\nprint('the secret solution output line')", outputs=[
            nbformat.v4.new_output("stream", text="the secret solution output line\n"),
            nbformat.v4.new_output("display_data", data={"image/png": PNG}),
        ]),
        new_md("The emotions that lose most are those whose cue was restraint.\n"
               "```{solution-end}\n```\n\n```{exercise-start}\n:label: ex-06-2\n```\n"
               "Second exercise text stays.\n```{exercise-end}\n```\n\n"
               "````{solution} ex-06-2\n```python\ncode in a solution\n```\n"
               "An ungated answer to remove.\n````\nAfter it."),
    ])


def test_strip_notebook_removes_gated_and_ungated_solutions_keeps_exercises() -> None:
    full = chapter_notebook()
    kept = student.strip_notebook(full, where="test")
    text = "\n".join(c.source for c in kept.cells)
    assert "ex-06-1" in text and "ex-06-2" in text and "Second exercise text stays." in text
    for gone in ("solution", "Sort the per-class", "secret", "restraint", "ungated answer"):
        assert gone not in text
    assert "After it." in text
    assert [c.cell_type for c in kept.cells] == ["code", "markdown", "markdown"]
    assert checks.check_student_leaks(full, None, [kept], "test") == []


def test_a_leak_is_found() -> None:
    full = chapter_notebook()
    leaky = student.strip_notebook(full)
    leaky.cells.append(full.cells[2])  # the solution's code cell, with its outputs
    problems = checks.check_student_leaks(full, None, [leaky], "test")
    assert any("solution text" in p for p in problems)
    assert any("solution figure" in p for p in problems)


def test_unbalanced_solution_blocks_are_errors() -> None:
    with pytest.raises(student.SolutionBlockError, match="never closed"):
        student.strip_notebook(nbformat.v4.new_notebook(
            cells=[new_md("```{solution-start} ex-1\n```\nopen")]), where="book/x.md")
    with pytest.raises(student.SolutionBlockError, match="without solution-start"):
        student.strip_text("```{solution-end}\n```", where="book/x.md")


def test_solution_mask_marks_the_code_cells_inside() -> None:
    assert student.solution_mask(chapter_notebook().cells) == [False, False, True, False]


@pytest.mark.parametrize(("source", "plots"), [
    ("fig, axes = plt.subplots(1, 2)", True),
    ("ax = plot_history(result.history)", True),
    ("serlib.viz.plot_tsne(coords)", True),
    ("from serlib.viz import (\n    plot_tsne,\n)\nimport matplotlib.pyplot as plt", False),
    ("%matplotlib inline\nx = 1", False),
])
def test_plotting_cells_are_recognised(source: str, plots: bool) -> None:
    assert checks.is_plotting_cell(source) is plots


def test_check_notebook_finds_missing_figures_tracebacks_progress_bars_and_glue() -> None:
    notebook = nbformat.v4.new_notebook(cells=[
        new_code("fig, ax = plt.subplots()", outputs=[]),
        new_code("1 / 0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]),
        new_code("train()", outputs=[nbformat.v4.new_output(
            "stream", name="stderr", text="\r 40%|####      | 4/10 [00:01<00:02, 3.1it/s]")]),
        new_md("The gap is {glue:text}`gap_06:.1f` points, {glue:}`other::key` elsewhere."),
    ])
    problems = checks.check_notebook(notebook, "smoke 06")
    assert any("has no image/png" in p for p in problems)
    assert any("ZeroDivisionError" in p for p in problems)
    assert any("progress-bar" in p for p in problems)
    assert any("['gap_06']" in p for p in problems)
    notebook.cells[1].metadata["tags"] = ["raises-exception"]
    assert not any("ZeroDivisionError" in p for p in checks.check_notebook(notebook, "x"))


def test_glue_references_and_keys() -> None:
    text = "{glue:text}`gap_06:.1f`, {glue:}`n_06`, {glue}`m_06` and {glue:}`ch07::x`"
    assert checks.glue_references(text) == {"gap_06", "n_06", "m_06"}
    cell = new_code("glue('gap_06', 1)", outputs=[nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "1"},
        metadata={"scrapbook": {"name": "gap_06", "mime_prefix": ""}})])
    assert checks.glue_keys(nbformat.v4.new_notebook(cells=[cell])) == {"gap_06"}


def test_runtimes_merge_across_editions_one_figure_per_built_edition(tmp_path: Path) -> None:
    path = tmp_path / "runtimes.json"
    runtimes.record(path, "06_gap", "smoke", {"seconds": 112.0, "cells": 3,
                                              "slowest_cells": []}, threads=2)
    runtimes.record(path, "06_gap", "cpu", {"seconds": 4000.0, "cells": 3,
                                            "slowest_cells": []}, threads=2)
    runtimes.record(path, "06_gap", "full-dryrun", {"seconds": 50.0, "cells": 3,
                                                    "slowest_cells": []}, threads=2)
    subs = runtimes.substitutions(runtimes.load(path), ["06_gap", "07_mmd"])
    assert subs["runtime_06_smoke"] == "1 min 52 s"
    assert subs["runtime_06_cpu"] == "1 h 06 min"
    assert subs["runtime_06_full"] == runtimes.NOT_MEASURED == "–"
    assert subs["runtime_07_smoke"] == runtimes.NOT_MEASURED
    line = subs["runtime_06"]
    assert line.startswith("`smoke` 1 min 52 s (") and "; `cpu` 1 h 06 min (" in line
    # editions not built and the dry run (a test, not an edition) are left out
    assert "full" not in line and "not measured" not in line
    assert subs["runtime_book_smoke"] == "1 min 52 s (1 of 2 chapters)"
    assert subs["runtime_book_full"] == "–"


def test_full_runtime_shows_the_t4_estimate_where_one_exists(tmp_path: Path) -> None:
    path = tmp_path / "runtimes.json"
    runtimes.record(path, "06_gap", "smoke", {"seconds": 12.0, "cells": 3,
                                              "slowest_cells": []}, threads=2)
    estimates_file = tmp_path / runtimes.T4_ESTIMATES
    estimates_file.write_text(
        '{"06_gap": {"t4_seconds": 5400.0, "source": "estimated from counted FLOPs of the '
        'dry run"}, "07_mmd": {"t4_seconds": 60, "source": "measured on Tesla T4"}}')
    estimates = runtimes.load_estimates(estimates_file)
    subs = runtimes.substitutions(runtimes.load(path), ["06_gap", "07_mmd"], estimates)
    assert subs["runtime_06"].endswith(
        "; `full` ≈ 1 h 30 min estimated on a T4 (from counted FLOPs of the dry run)")
    assert subs["runtime_07"] == "`full` 1 min 00 s measured on Tesla T4"
    assert runtimes.load_estimates(tmp_path / "missing.json") == {}


def test_the_kernel_does_not_inherit_mplbackend_and_gets_a_thread_share(monkeypatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env, notes = builder.kernel_env(builder.Edition("smoke"), jobs=2)
    assert "MPLBACKEND" not in env
    assert env["OMP_NUM_THREADS"] == str(max(1, (builder.os.cpu_count() or 1) // 2))
    assert env["TQDM_DISABLE"] == "1"
    assert any("at a time" in note for note in notes)


def test_editions_have_their_own_folders() -> None:
    smoke, cpu = builder.Edition("smoke"), builder.Edition("cpu")
    dry = builder.Edition("full", dry_run=True)
    assert smoke.html() == builder.BUILD / "html" and cpu.html() == builder.BUILD / "html-cpu"
    assert smoke.html(student=True) == builder.BUILD / "html-student"
    assert len({smoke.executed, cpu.executed, dry.executed}) == 3
    assert dry.parameters == {"PROFILE": "full", "DRY_RUN": True}
    with pytest.raises(ValueError, match="unknown profile"):
        builder.Edition("gpu")


def test_colab_install_cell_pins_a_commit_or_tag(monkeypatch) -> None:
    monkeypatch.delenv("SERLIB_BOOK_REF", raising=False)
    source = builder.colab_install_cell().source
    assert "@main" not in source and "git+https://" in source
    monkeypatch.setenv("SERLIB_BOOK_REF", "v0.1.0")
    assert "@v0.1.0\"" in builder.colab_install_cell().source


def test_notebooks_for_colab_inline_includes_and_runtimes(tmp_path: Path) -> None:
    (tmp_path / "_includes").mkdir()
    (tmp_path / "_includes" / "gpu.md").write_text(":::{admonition} GPU\nwants one\n:::\n")
    text = "```{include} _includes/gpu.md\n```\n\n**Runtime**: {{ runtime_06_smoke }}."
    out = builder._render_for_jupyter(text, tmp_path, {"runtime_06_smoke": "42 s"})
    assert "wants one" in out and "42 s" in out and "{include}" not in out


def test_pages_marked_for_instructors_leave_the_student_toc() -> None:
    toc = {"format": "jb-book", "root": "book/index", "parts": [
        {"caption": "Part II", "chapters": [{"file": "book/06_gap"}]},
        {"caption": "Appendices", "chapters": [{"file": "book/instructor_guide"}]}]}
    student_toc = builder._toc_without(toc, {"book/instructor_guide"})
    assert [p["caption"] for p in student_toc["parts"]] == ["Part II"]
    assert toc["parts"][1]["chapters"]  # the original is left alone


# --- the real-browser page check (tools/page_check.py) ----------------------------------------
sys.path.insert(0, str(REPO / "tools"))
import page_check  # noqa: E402


def test_page_check_text_rules() -> None:
    problems = page_check.text_problems(
        "ch. 2: not measured in this build; {glue:text}`x` and $$a$$ and \\begin{x}",
        "the runtime in this build in this build, and `x` and, speaker by speaker")
    joined = "\n".join(problems)
    for expected in ("'{glue'", "'$$'", "'\\\\begin'", "runtime placeholder",
                     "'in this build in this build'"):
        assert expected in joined, (expected, problems)
    assert len(problems) == 5
    assert not page_check.text_problems("times that were not measured. x\tnot measured alike",
                                        "that that had had")


def test_page_check_finds_each_defect_in_a_real_browser(tmp_path: Path) -> None:
    """A page with an overflowing equation-like box, a figure shown twice, a downscaled
    figure and a doubled word: each is reported (skips only where Chromium is absent)."""
    if page_check.find_chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium)")
    pytest.importorskip("playwright")
    from PIL import Image

    (tmp_path / "_images").mkdir()
    Image.new("RGB", (1600, 400), "white").save(tmp_path / "_images" / "wide.png",
                                                dpi=(100, 100))
    Image.new("RGB", (700, 300), "white").save(tmp_path / "_images" / "ok.png",
                                               dpi=(100, 100))
    body = ('<article class="bd-article" style="width:700px">'
            '<p>The the model is fine.</p>'
            '<div class="equation" style="width:900px">an equation</div>'
            '<div class="highlight"><pre style="overflow-x:auto">' + "x" * 300 + '</pre></div>'
            '<div class="cell_output"><img src="_images/wide.png" style="max-width:100%">'
            '<img src="_images/ok.png"><img src="_images/ok.png"></div></article>')
    (tmp_path / "index.html").write_text(f"<html><body>{body}</body></html>")
    [report] = page_check.check_html(tmp_path, ["index.html"])
    joined = "\n".join(report.problems)
    assert "overflows the column: div.equation" in joined
    assert "wide.png" in joined and "too small to read" in joined
    assert "ok.png shown twice" in joined
    assert "'The the'" in joined
    assert "pre" not in joined.split("overflows")[1].split("\n")[0]  # code scrolls: fine
    assert len(report.problems) == 4, report.problems


def test_an_edition_without_its_corpora_says_so_on_every_page(monkeypatch, tmp_path) -> None:
    """A cpu edition built on the synthetic fallback names itself so: the title, a banner
    (the theme's announcement, on every page) and {{ edition }}; one with data does not."""
    monkeypatch.delenv("SERLIB_DATA", raising=False)
    monkeypatch.setenv("SERLIB_SHARED", str(tmp_path / "nothing"))
    monkeypatch.setattr(builder, "BUILD", tmp_path / "_build")  # no recorded inputs
    cpu = builder.Edition("cpu")
    assert builder.data_fell_back(cpu)
    config = builder.staged_config(cpu, student=False)
    assert "synthetic" in config["title"]
    assert "without the real corpora" in config["html"]["announcement"]
    assert "WITHOUT the real corpora" in config["parse"]["myst_substitutions"]["edition"]
    assert not builder.data_fell_back(builder.Edition("smoke"))
    (tmp_path / "data" / "emodb").mkdir(parents=True)
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path / "data"))
    config = builder.staged_config(cpu, student=False)
    assert "announcement" not in config.get("html", {}) and "synthetic" not in config["title"]


def test_make_uses_the_shared_data_beside_the_checkout(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SERLIB_DATA", raising=False)
    (tmp_path / "data" / "emodb").mkdir(parents=True)
    monkeypatch.setenv("SERLIB_SHARED", str(tmp_path))
    env, _ = builder.kernel_env(builder.Edition("cpu"))
    assert env["SERLIB_DATA"] == str(tmp_path / "data")
    makefile = (REPO / "Makefile").read_text()
    assert "export SERLIB_DATA := $(SERLIB_SHARED)/data" in makefile


def test_cpu_colab_notebooks_start_in_the_cpu_profile_and_fetch_the_free_data() -> None:
    chapter = next(c for c in builder.chapter_sources() if c.stem == "06_cross_lingual_gap")
    smoke = builder.source_notebook(chapter, ref="abc")
    cpu = builder.source_notebook(chapter, ref="abc", profile="cpu")
    params = [c for c in cpu.cells if "parameters" in c.metadata.get("tags", [])]
    assert 'PROFILE = "cpu"' in params[0].source
    assert "serlib" in cpu.cells[0].source and "google.colab" in cpu.cells[0].source
    data = cpu.cells[1].source
    assert '"emodb", "ravdess"' in data and "fetch_byols_checkpoint" in data
    assert "emovo --from-dir" in data and "on request" in data
    assert len(cpu.cells) == len(smoke.cells) + 1
    assert 'PROFILE = "smoke"' in next(c.source for c in smoke.cells
                                       if "parameters" in c.metadata.get("tags", []))


def test_local_mathjax_is_served_from_the_build(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SERLIB_MATHJAX", str(tmp_path))
    monkeypatch.setattr(builder, "BUILD", tmp_path / "build")  # not `make mathjax`'s copy
    assert builder.local_mathjax() is None  # no tex-mml-chtml.js there
    (tmp_path / "tex-mml-chtml.js").write_text("// MathJax")
    assert builder.local_mathjax() == tmp_path
    config = builder.staged_config(builder.Edition("smoke"), student=False)
    assert config["sphinx"]["config"]["mathjax_path"] == "mathjax/tex-mml-chtml.js"


def test_the_fallback_is_judged_by_what_the_chapters_were_given(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(builder, "BUILD", tmp_path)
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))  # the environment has data now ...
    (tmp_path / "x").mkdir()
    cpu = builder.Edition("cpu")
    cpu.root.mkdir(parents=True)
    (cpu.root / "inputs.json").write_text('{"SERLIB_DATA": ""}')  # ... the run had none
    assert "SERLIB_DATA was not set" in builder.data_fell_back(cpu)
