"""The book's sources follow the rules: MyST notebooks only, no outputs, one parameters cell."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_book", REPO / "tools" / "build_book.py")
builder = sys.modules.setdefault("build_book", importlib.util.module_from_spec(spec))
if not hasattr(builder, "REPO"):
    spec.loader.exec_module(builder)
CHAPTERS = builder.chapter_sources()
book_checks, book_student = builder.book_checks, builder.book_student


def test_there_is_at_least_one_chapter() -> None:
    assert CHAPTERS


def test_no_notebook_files_under_book() -> None:
    notebooks = sorted(str(p.relative_to(REPO)) for p in (REPO / "book").rglob("*.ipynb"))
    assert not notebooks, f"chapters are MyST .md files; remove {notebooks}"


def test_no_notebook_or_data_is_tracked_by_git() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    bad = [f for f in tracked
           if re.search(r"\.(ipynb|wav|flac|mp3|aiff?|pth|pt|ckpt|npz|npy|pkl)$", f, re.I)]
    assert not bad, f"never commit notebooks, audio, weights or caches: {bad}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_holds_no_outputs(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    assert "data:image" not in text and '"outputs"' not in text
    notebook = jupytext.read(chapter)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_one_literal_parameters_cell_with_a_profile(chapter: Path) -> None:
    notebook = jupytext.read(chapter)
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{chapter.name}: exactly one cell must be tagged `parameters`"
    names = {}
    for node in ast.parse(cells[0].source).body:
        assert isinstance(node, ast.Assign), f"{chapter.name}: parameters are assignments only"
        names[node.targets[0].id] = ast.literal_eval(node.value)  # literals only
    assert names.get("PROFILE") == "smoke", f"{chapter.name}: PROFILE must default to 'smoke'"
    # the dry-run edition passes PROFILE="full", DRY_RUN=True (a handful of steps)
    assert names.get("DRY_RUN") is False, f"{chapter.name}: add `DRY_RUN = False` to parameters"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_structure(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    number = chapter.stem.split("_")[0]
    assert "Runtime" in text, f"{chapter.name}: state the expected runtime"
    assert re.search(r"^## Summary$", text, re.M), f"{chapter.name}: needs a Summary section"
    assert re.search(r"^## Exercises$", text, re.M), f"{chapter.name}: needs an Exercises section"
    labels = re.findall(r":label: (ex-\S+)", text)
    assert labels and all(re.fullmatch(rf"ex-{number}-\d+", label) for label in labels)
    for label in labels:
        assert f"{{solution-start}} {label}" in text, f"{chapter.name}: {label} has no solution"


# --- the contract between the chapters and the pipeline (CONTRIBUTING.md, "Chapters") ---------
def _cells_outside_and_inside_solutions(chapter: Path):
    notebook = jupytext.read(chapter)
    mask = book_student.solution_mask(notebook.cells, where=chapter.name)
    return notebook, mask


def _bound_and_loaded(source: str) -> tuple[set[str], set[str]]:
    tree = book_checks.parse_cell(source)
    bound, loaded = set(), set()
    if tree is None:
        return bound, loaded
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return bound, loaded


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_are_gated_and_nothing_outside_depends_on_them(chapter: Path) -> None:
    """The student edition removes the solutions: the rest of the chapter must not need them."""
    notebook, mask = _cells_outside_and_inside_solutions(chapter)
    inside, outside, used = set(), set(), set()
    for cell, in_solution in zip(notebook.cells, mask, strict=True):
        if cell.cell_type != "code":
            continue
        bound, loaded = _bound_and_loaded(cell.source)
        if in_solution:
            inside |= bound
        else:
            outside |= bound
            used |= loaded
    leaked = sorted((used & inside) - outside)
    assert not leaked, (f"{chapter.name}: cells outside solutions use names defined only in a "
                        f"solution: {leaked} (define them outside, or move the cell inside)")


def _glued_literals(source: str) -> tuple[set[str], bool]:
    names, dynamic = set(), False
    tree = book_checks.parse_cell(source)
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.Call) and book_checks._dotted(node.func).split(".")[-1] == "glue":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
            else:
                dynamic = True
    return names, dynamic


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_prose_numbers_are_glued_outside_solutions(chapter: Path) -> None:
    """``{glue:text}`key``` in the prose needs a ``serlib.book.glue("key", ...)`` call in a cell
    that the student edition keeps; chapters glue through serlib.book, never myst_nb itself."""
    text = chapter.read_text(encoding="utf-8")
    assert "import myst_nb" not in text and "from myst_nb" not in text, (
        f"{chapter.name}: use `from serlib.book import glue` (it also runs without myst-nb)")
    notebook, mask = _cells_outside_and_inside_solutions(chapter)
    glued, dynamic, referenced, inside = set(), False, set(), False
    for cell, in_solution in zip(notebook.cells, mask, strict=True):
        if cell.cell_type == "markdown":
            kept, inside = book_student.strip_text(cell.source, inside)
            referenced |= book_checks.glue_references(kept)
        elif not in_solution:
            names, is_dynamic = _glued_literals(cell.source)
            glued |= names
            dynamic |= is_dynamic
    if not dynamic:
        missing = sorted(referenced - glued)
        assert not missing, f"{chapter.name}: the prose references unglued keys {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_exercise_references_render_as_exercise_n_k(chapter: Path) -> None:
    """``{ref}`ex-06-2``` already renders "Exercise 6.2": no "exercise" word before it."""
    text = chapter.read_text(encoding="utf-8")
    bad = re.findall(r"[Ee]xercises?\s+\{(?:num)?ref\}`ex-[^`]+`", text)
    assert not bad, f"{chapter.name}: write {{ref}}`ex-NN-k` alone (it says 'Exercise N.k'): {bad}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_included_files_exist(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    for target in re.findall(r"^```\{include\}\s+(\S+)", text, re.M):
        assert (chapter.parent / target).exists(), f"{chapter.name}: {target} does not exist"


#: chapters that still state typed runtimes; remove a chapter once it uses the snippet (the
#: strict xfail turns into a failure as soon as it passes, so the list cannot go stale)
TYPED_RUNTIMES: set[str] = set()


@pytest.mark.parametrize("chapter", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="states typed runtimes"))
    if c.stem in TYPED_RUNTIMES else c for c in CHAPTERS], ids=lambda p: p.stem)
def test_chapter_states_measured_runtimes_only(chapter: Path) -> None:
    """The runtime line uses the build's measurements (``{{ runtime_06 }}``, CONTRIBUTING.md),
    and the last code cell prints the chapter's own stopwatch."""
    text = chapter.read_text(encoding="utf-8")
    number = chapter.stem.split("_")[0]
    runtime_lines = [line for line in text.splitlines() if "**Runtime**" in line]
    assert runtime_lines and all(f"{{{{ runtime_{number}" in line for line in runtime_lines)
    assert not re.search(r"about \d+ (?:s|seconds?|min|minutes?|hours?)\b", text)
    code = [c for c in jupytext.read(chapter).cells if c.cell_type == "code"]
    assert code and "report(" in code[-1].source, "the last cell prints the stopwatch"


def test_the_bibliography_parses_and_every_cited_key_is_in_it() -> None:
    pybtex = pytest.importorskip("pybtex.database")
    bib = pybtex.parse_file(str(REPO / "book" / "references.bib"))
    keys = set(bib.entries)
    cited = set()
    for page in (REPO / "book").glob("*.md"):
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", page.read_text(encoding="utf-8")):
            cited.update(k.strip() for k in group.split(","))
    assert not cited - keys, f"cited but not in book/references.bib: {sorted(cited - keys)}"


# --- the prose lint (tools/prose_lint.py) and the roadmap ------------------------------------
sys.path.insert(0, str(REPO / "tools"))
import prose_lint  # noqa: E402


@pytest.mark.parametrize("source", sorted((REPO / "book").glob("*.md")), ids=lambda p: p.stem)
def test_prose_lint_finds_nothing(source: Path) -> None:
    """No line MyST swallows (a leading ``%``), no code line past the column, no shown
    glue-only cell (tools/prose_lint.py)."""
    problems = prose_lint.lint_source(source.read_text(encoding="utf-8"),
                                      str(source.relative_to(REPO)))
    assert not problems, "\n".join(problems)


def test_prose_lint_catches_each_class_of_defect() -> None:
    text = ("---\nkernelspec:\n  name: python3\n---\n\n# T\n\nThe best is {glue:text}`b:.1f`\n"
            "% UAR on average.\n\n$$\n% a LaTeX comment is fine\nx\n$$\n\n"
            "```{code-cell} ipython3\nglue('a', 1)\nglue('b', 2)\n```\n\n"
            "```{code-cell} ipython3\n:tags: [remove-input]\nglue('c', 3)\n```\n\n"
            "```{code-cell} ipython3\nx = '" + "y" * 100 + "'\n```\n")
    problems = prose_lint.lint_source(text, "t.md")
    assert len(problems) == 3, problems
    assert "t.md:9:" in problems[0] and "'%'" in problems[0]
    assert "glues values" in problems[1] and "code line of 106" in problems[2]


def test_glued_numbers_must_lie_in_the_range_their_unit_implies() -> None:
    import nbformat

    def glued(name: str, value: str):
        return nbformat.v4.new_output("display_data",
                                      data={"application/papermill.record/text/plain": value},
                                      metadata={"scrapbook": {"name": name}})

    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [glued("d_09", "12108.24"), glued("u_06", "41.4"), glued("p_07", "130.2"),
                    glued("n_08", "-2"), glued("g_07", "-3.2")]
    notebook = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell(
        "sits {glue:text}`d_09:.2f` source\nstandard deviations away; {glue:text}`u_06:.1f` %"
        " and {glue:text}`p_07:.1f` % UAR, {glue:text}`n_08` labels, {glue:text}`g_07:+.1f` "
        "UAR points")])
    problems = prose_lint.check_glued_ranges(notebook, "ch")
    assert [p.split()[2] for p in problems] == ["d_09", "p_07", "n_08"], problems


def test_the_roadmap_agrees_with_the_table_of_contents() -> None:
    """Every chapter and appendix that _toc.yml lists is linked from the roadmap, and nothing
    marked "(planned: `book/...`)" is in _toc.yml (book/roadmap.md was stale: every written
    chapter said "(planned)")."""
    roadmap = (REPO / "book" / "roadmap.md").read_text(encoding="utf-8")
    toc = set(builder.toc_files())
    planned = set(re.findall(r"\(planned: `(book/[\w]+)\.md`\)", roadmap))
    assert not planned & toc, f"the roadmap calls written files planned: {planned & toc}"
    assert "(planned)" not in roadmap, "a planned entry names its file: (planned: `book/..`)"
    unlinked = []
    for name in sorted(toc - {"book/index", "book/roadmap", "book/references"}):
        stem = name.split("/", 1)[1]
        if name in builder.student_excluded():  # no {doc} link: the student edition lacks it
            if f"`{name}.md`" not in roadmap.split("## Chapter files")[0]:
                unlinked.append(name)
        elif f"{{doc}}`{stem}`" not in roadmap:
            unlinked.append(name)
    assert not unlinked, f"written files the roadmap does not link: {unlinked}"


def test_prose_lint_hides_long_plotting_boilerplate_but_not_idea_cells() -> None:
    boiler = ("fig, ax = plt.subplots(figsize=(7, 3))\n" + "ax.plot(x, y, label='a')\n" * 6
              + "ax.set_xlabel('x')\nax.set_ylabel('y')\nax.legend()\nfig.tight_layout()\n")
    ideas = ("d = bootstrap_distribution(y_true, y_pred)\nci = metrics_with_ci(y_true, y_pred)\n"
             "h = 50 * (ci['high'] - ci['low'])\nu = fit(d)\n" + boiler)
    for body, expected in ((boiler, 1), (ideas, 0)):
        text = f"# T\n\n```{{code-cell}} ipython3\n{body}```\n"
        problems = prose_lint.lint_source(text, "t.md")
        assert len(problems) == expected, problems
    tagged = f"# T\n\n```{{code-cell}} ipython3\n:tags: [hide-input]\n{boiler}```\n"
    assert not prose_lint.lint_source(tagged, "t.md")


def test_prose_lint_hides_long_runs_of_glue() -> None:
    run = "x = f(a)\n" + "".join(f"glue('k{i}_09', x + {i})\n" for i in range(5))
    text = f"# T\n\n```{{code-cell}} ipython3\n{run}```\n"
    [problem] = prose_lint.lint_source(text, "t.md")
    assert "5 of the cell's 6 statements glue values" in problem
    defines = "def f(a):\n    return a\n\n\n" + run
    assert not prose_lint.lint_source(f"# T\n\n```{{code-cell}} ipython3\n{defines}```\n", "t.md")


def test_prose_lint_hides_cells_that_assemble_the_prose_but_not_solutions() -> None:
    """A shown cell with eight glue calls in a function (chapter 6's gap cell) is
    bookkeeping; the same code in an exercise's solution shows its code."""
    body = ("def words(info):\n" + "".join(f"    glue('k{i}_06', info + {i})\n"
                                           for i in range(8))
            + "\n\nfor info in INFO:\n    words(info)\n")
    shown = f"# T\n\n```{{code-cell}} ipython3\n{body}```\n"
    [problem] = prose_lint.lint_source(shown, "t.md")
    assert "8 glue calls" in problem and "hide-input" in problem
    hidden = f"# T\n\n```{{code-cell}} ipython3\n:tags: [hide-input]\n\n{body}```\n"
    assert not prose_lint.lint_source(hidden, "t.md")
    solution = ("# T\n\n```{solution-start} ex-06-1\n:class: dropdown\n```\n\n"
                f"```{{code-cell}} ipython3\n{body}```\n\n```{{solution-end}}\n```\n")
    assert not prose_lint.lint_source(solution, "t.md")
