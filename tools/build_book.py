"""Build the book: MyST chapters -> Colab notebooks -> executed notebooks -> HTML, per edition.

The chapters under ``book/`` are MyST Markdown notebooks (the single source). An *edition* is
one execution of every chapter with one set of parameters:

=============  =====================================  ==============================
edition        parameters passed by papermill          HTML
=============  =====================================  ==============================
``smoke``      ``PROFILE="smoke"`` (synthetic corpus)  ``_build/html`` (+ ``-student``)
``cpu``        ``PROFILE="cpu"`` (real corpora)        ``_build/html-cpu`` (+ ``-student``)
``full``       ``PROFILE="full"`` (paper scale, GPU)   ``_build/html-full``
``full-dryrun`` ``PROFILE="full", DRY_RUN=True``        none (execution only)
=============  =====================================  ==============================

Steps (``python tools/build_book.py STEP --profile P [--dry-run] [--jobs N]``):

1. ``notebooks``: every chapter -> ``_build/notebooks/book/<chapter>.ipynb`` (jupytext), with a
   first cell that installs serlib on Google Colab, pinned to the commit (or tag) the book is
   built from, and the student copies in ``_build/notebooks/student/book/``. These are what
   the "Open in Colab" buttons open (published to the ``notebooks`` branch, see the README);
2. ``execute``: runs each notebook once with papermill into ``_build/<edition>/executed/``, N
   chapters at a time, printing progress with elapsed seconds. A notebook is re-executed only
   when its source, its parameters, the data/weights it was given or serlib's code changed.
   The kernel does not inherit ``MPLBACKEND`` (so figures are captured inline) and gets
   ``OMP_NUM_THREADS`` = cores / N. A failing chapter is reported with its failing cell; its
   notebook is kept in ``_build/<edition>/reports/``; the others still run. Measured
   runtimes go to ``_build/runtimes.json`` (merged across editions);
3. ``html``: stages config, pages and executed notebooks in ``_build/<edition>/site`` (with the
   measured runtimes as MyST substitutions) and builds them with Jupyter Book, its own
   execution off, ``-n -W --keep-going``: any warning fails the build;
4. ``check``: the checks on the executed notebooks and the HTML (``tools/book_checks.py``);
5. ``student``: the student edition's HTML and notebooks, from the executed notebooks with
   every solution removed (``tools/book_student.py``);
6. ``all`` (default): notebooks, execute, html, check. ``runtimes`` prints the measurements
   (``--readme`` writes them into the README).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_checks
import book_runtimes
import book_student

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
BUILD = REPO / "_build"
NOTEBOOKS = BUILD / "notebooks"
STUDENT_NOTEBOOKS = NOTEBOOKS / "student"
RUNTIMES = BUILD / "runtimes.json"
T4_ESTIMATES = BUILD / book_runtimes.T4_ESTIMATES  # written by the dry run's FLOP count
WEIGHTS = BUILD / "weights"
VGG16_FILE = "vgg16-397923af.pth"  # torchvision's file name for the ImageNet weights
PROFILES = ("smoke", "cpu", "full")
#: bump when the way notebooks are generated or executed changes
PIPELINE_VERSION = "2"
#: environment variables whose values change what a chapter computes
INPUT_VARIABLES = ("SERLIB_DATA", "SERLIB_BYOLS_CHECKPOINT", "SERLIB_VGG16_WEIGHTS")
HEARTBEAT_S = 20.0
#: what ``{{ edition }}`` says on a page
EDITION_WORDS = {
    "smoke": "the smoke edition, in which every chapter ran on the synthetic corpus on a CPU",
    "cpu": "the real-data edition, in which every chapter ran on the real corpora (profile "
           "`cpu`) on a CPU",
    "full": "the full edition, in which every chapter ran at the papers' scale (profile `full`)",
    "full-dryrun": "the full dry run (profile `full`, capped to a few steps)",
}


class ChapterFailed(RuntimeError):
    """A chapter raised an error in a cell that is not tagged ``raises-exception``."""


@dataclass(frozen=True)
class Edition:
    """One set of parameters for every chapter, and where its products go."""

    profile: str = "smoke"
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; use one of {PROFILES}")

    @property
    def name(self) -> str:
        return f"{self.profile}-dryrun" if self.dry_run else self.profile

    @property
    def root(self) -> Path:
        return BUILD / self.name

    @property
    def executed(self) -> Path:
        return self.root / "executed"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def parameters(self) -> dict:
        return {"PROFILE": self.profile, "DRY_RUN": self.dry_run}

    def html(self, student: bool = False) -> Path:
        suffix = "" if self.name == "smoke" else f"-{self.name}"
        return BUILD / f"html{suffix}{'-student' if student else ''}"


# --- sources ----------------------------------------------------------------------------------
def toc_files(toc_path: Path | None = None) -> list[str]:
    """Every file the table of contents lists (root, parts, chapters, sections), in order."""
    toc = yaml.safe_load((toc_path or REPO / "_toc.yml").read_text())

    def walk(entries: list) -> list[str]:
        names = []
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            names += walk(entry.get("sections", []))
        return names

    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += walk(part.get("chapters", []))
    files += walk(toc.get("chapters", []))
    return files


def chapter_sources() -> list[Path]:
    """The chapter files: MyST Markdown notebooks (with a kernelspec) listed in ``_toc.yml``."""
    chapters = []
    for name in toc_files():
        path = REPO / f"{name}.md"
        if not path.exists():
            raise FileNotFoundError(f"_toc.yml lists {name}, but {path} does not exist")
        text = path.read_text(encoding="utf-8")
        if text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]:
            chapters.append(path)
    return chapters


def _book_relative(chapter: Path) -> Path:
    """``book/<name>.md`` for a chapter (also for a chapter file outside the repository)."""
    chapter = chapter.resolve()
    if chapter.is_relative_to(REPO):
        return chapter.relative_to(REPO)
    return Path("book") / chapter.name


# --- Colab notebooks --------------------------------------------------------------------------
def release_ref() -> str:
    """What the Colab install cell pins: ``$SERLIB_BOOK_REF``, a tag on HEAD, or HEAD's sha."""
    if os.environ.get("SERLIB_BOOK_REF"):
        return os.environ["SERLIB_BOOK_REF"]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    tag = git("describe", "--tags", "--exact-match", "HEAD")
    if tag:
        return tag
    sha = git("rev-parse", "HEAD")
    if sha:
        return sha
    version = re.search(r'^version = "(.+)"', (REPO / "pyproject.toml").read_text(), re.M)
    return f"v{version.group(1)}" if version else "main"


def colab_install_cell(ref: str | None = None) -> nbformat.NotebookNode:
    """The first cell of every generated notebook: install serlib on Colab, nothing elsewhere."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    ref = ref or release_ref()
    source = (
        "# On Google Colab, install serlib (this book's library) at the version this notebook\n"
        "# was built from. Anywhere else (your machine, CI) this cell does nothing.\n"
        "import subprocess\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"serlib @ git+{url}@{ref}\"], check=True)\n"
        "    # To keep caches and training checkpoints across sessions (PROFILE = \"full\"\n"
        "    # resumes after a disconnect), put SERLIB_CACHE on your Google Drive:\n"
        "    # from serlib.experiments.colab import colab_cache; colab_cache()"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell"]})


_INCLUDE = re.compile(r"^```\{include\}\s+(\S+)\s*\n```[ \t]*$", re.M)
_SUBSTITUTION = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _render_for_jupyter(text: str, base: Path, subs: dict[str, str]) -> str:
    """Markdown for a plain Jupyter/Colab reader: includes inlined, substitutions filled."""
    text = _INCLUDE.sub(lambda m: (base / m.group(1)).read_text(encoding="utf-8").strip(), text)
    return _SUBSTITUTION.sub(lambda m: subs.get(m.group(1), m.group(0)), text)


def colab_data_cell(profile: str) -> nbformat.NotebookNode:
    """The second cell of a real-data notebook: on Colab, fetch what ``profile`` reads."""
    source = (
        f'# PROFILE = "{profile}" reads the real corpora. On Google Colab this cell downloads\n'
        "# the freely available ones (EmoDB, RAVDESS) and the BYOL-S weights, once per session;\n"
        "# anywhere else it does nothing: point SERLIB_DATA at your copies (README, \"Data\").\n"
        "# EMOVO (Italian) is distributed on request only: ask its authors for a copy\n"
        "# (`serlib data list --long` gives the address), then import it with\n"
        "#     !serlib data fetch emovo --from-dir /content/EMOVO\n"
        "# Without it the chapters say which corpus they miss and use the others.\n"
        "import os\n\n"
        'if "google.colab" in sys.modules:\n'
        "    from serlib.experiments.colab import colab_cache\n\n"
        "    colab_cache()  # SERLIB_CACHE on Drive: caches and checkpoints outlive a session\n"
        '    for corpus in ("emodb", "ravdess"):\n'
        '        subprocess.run([sys.executable, "-m", "serlib", "data", "fetch", corpus],\n'
        "                       check=True)\n"
        "    from serlib.models import DEFAULT_BYOLS_CHECKPOINT, fetch_byols_checkpoint\n\n"
        '    os.environ["SERLIB_BYOLS_CHECKPOINT"] = str(\n'
        "        fetch_byols_checkpoint(DEFAULT_BYOLS_CHECKPOINT))"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell"]})


_PROFILE_LINE = re.compile(r'^PROFILE = "\w+"', re.M)


def source_notebook(chapter: Path, *, ref: str | None = None,
                    profile: str = "smoke") -> nbformat.NotebookNode:
    """The chapter as a notebook, with the Colab install cell first (MyST left as it is).

    For a real-data ``profile`` (the published ``cpu`` edition's buttons), the parameters
    cell starts with ``PROFILE = "<profile>"`` and a second cell fetches the free corpora and
    the BYOL-S weights on Colab (:func:`colab_data_cell`).
    """
    notebook = jupytext.read(chapter)
    if profile != "smoke":
        for cell in notebook.cells:
            if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
                cell.source = _PROFILE_LINE.sub(f'PROFILE = "{profile}"', cell.source, count=1)
        notebook.cells.insert(0, colab_data_cell(profile))
    notebook.cells.insert(0, colab_install_cell(ref))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata.pop("jupytext", None)
    return notebook


def make_notebook(chapter: Path, *, ref: str | None = None, profile: str = "smoke") -> Path:
    """Write the Colab/download notebook of ``chapter`` (and its student copy, unless its
    front matter says ``student_edition: false``); return it.

    For a reader in plain Jupyter or Colab, ``{include}`` directives are inlined and the
    runtime substitutions filled in with the last measurements. ``profile``: the edition
    whose Colab buttons open it (its ``PROFILE``, see :func:`source_notebook`).
    """
    notebook = source_notebook(chapter, ref=ref, profile=profile)
    stems = list(dict.fromkeys([*(c.stem for c in chapter_sources()), chapter.stem]))
    subs = book_runtimes.substitutions(book_runtimes.load(RUNTIMES), stems,
                                       book_runtimes.load_estimates(T4_ESTIMATES))
    # the instructor guide tabulates the other chapters' runtimes
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _render_for_jupyter(cell.source, chapter.parent, subs)
    rel = _book_relative(chapter).with_suffix(".ipynb")
    out = NOTEBOOKS / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    student_copy = STUDENT_NOTEBOOKS / rel
    if chapter.with_suffix("").relative_to(REPO).as_posix() in student_excluded():
        student_copy.unlink(missing_ok=True)  # the instructor guide: no student copy at all
        return out
    student = book_student.strip_notebook(notebook, where=str(rel))
    student_copy.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(student, student_copy)
    return out


# --- execution --------------------------------------------------------------------------------
def serlib_fingerprint() -> str:
    """Hash of serlib's source files: executed notebooks are stale when the library changes."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "serlib").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def execution_key(chapter: Path, parameters: dict, env: dict | None = None) -> str:
    """What an executed notebook depends on; the smoke profile reads no corpus or weights."""
    inputs = {} if parameters.get("PROFILE") == "smoke" else {
        name: (env or os.environ).get(name, "") for name in INPUT_VARIABLES}
    blob = json.dumps([PIPELINE_VERSION, chapter.read_text(encoding="utf-8"), parameters,
                       inputs, serlib_fingerprint()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def shared_root() -> Path:
    """``$SERLIB_SHARED``, else ``../shared`` next to the checkout (development data)."""
    return Path(os.environ.get("SERLIB_SHARED", REPO.parent / "shared"))


def standin_vgg16_weights() -> Path:
    """A freshly initialised VGG16 state dict, saved once under ``_build/weights/``.

    Only for the dry run, where torchvision's ImageNet download cannot happen: the code path
    (loading a local file through ``SERLIB_VGG16_WEIGHTS``) is the documented offline one;
    the numbers it gives mean nothing.
    """
    path = WEIGHTS / f"standin-{VGG16_FILE}"
    if not path.exists():
        print(f"[book] writing stand-in VGG16 weights (random init, ~528 MB) to {path} ...",
              flush=True)
        code = ("import sys, torch, torchvision; torch.manual_seed(0); "
                "torch.save(torchvision.models.vgg16().state_dict(), sys.argv[1])")
        WEIGHTS.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, "-c", code, str(tmp)], check=True)
        tmp.replace(path)
    return path


def kernel_env(edition: Edition, jobs: int = 1) -> tuple[dict, list[str]]:
    """The environment of the chapters' kernels, and what it says about it in words."""
    env = dict(os.environ)
    notes = []
    # ipykernel installs its inline backend only when MPLBACKEND is unset: with the Agg
    # backend that the tests use, cells would produce no image/png output at all.
    env.pop("MPLBACKEND", None)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if jobs > 1 or name not in env:
            env[name] = str(threads)
    env["TQDM_DISABLE"] = "1"  # progress bars are for interactive readers, not the pages
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    weights = shared_root() / "weights"
    if not env.get("SERLIB_BYOLS_CHECKPOINT"):
        found = sorted((weights / "byol-s").glob("*.pth")) if (weights / "byol-s").is_dir() \
            else []
        if found:
            env["SERLIB_BYOLS_CHECKPOINT"] = str(found[0])
    if env.get("SERLIB_BYOLS_CHECKPOINT"):
        notes.append(f"BYOL-S weights: SERLIB_BYOLS_CHECKPOINT={env['SERLIB_BYOLS_CHECKPOINT']}")
    if not env.get("SERLIB_VGG16_WEIGHTS"):
        real = weights / "vgg16" / VGG16_FILE
        if real.exists():
            env["SERLIB_VGG16_WEIGHTS"] = str(real)
        elif edition.dry_run:
            env["SERLIB_VGG16_WEIGHTS"] = str(standin_vgg16_weights())
            notes.append("VGG16 weights: a STAND-IN (randomly initialised, not ImageNet) at "
                         f"SERLIB_VGG16_WEIGHTS={env['SERLIB_VGG16_WEIGHTS']}: the dry run "
                         "tests the offline code path only")
    if env.get("SERLIB_VGG16_WEIGHTS") and not any("STAND-IN" in n for n in notes):
        notes.append(f"VGG16 weights: SERLIB_VGG16_WEIGHTS={env['SERLIB_VGG16_WEIGHTS']}")
    if not env.get("SERLIB_DATA") and (shared_root() / "data").is_dir():
        env["SERLIB_DATA"] = str(shared_root() / "data")  # the development data, as the README says
    data = env.get("SERLIB_DATA")
    notes.append(f"corpora: SERLIB_DATA={data}" if data else
                 "corpora: SERLIB_DATA is not set (chapters say which corpora they miss)")
    notes.append(f"{jobs} chapter(s) at a time, {threads} CPU thread(s) each")
    return env, notes


def _execute_one(spec_file: str) -> int:
    """Child process: execute one notebook with papermill, reporting progress to a file."""
    import papermill
    from papermill.engines import NBClientEngine, papermill_engines

    spec = json.loads(Path(spec_file).read_text())
    progress = Path(spec["progress"])

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            total = sum(cell.cell_type == "code" for cell in nb_man.nb.cells)
            done = 0
            complete = nb_man.cell_complete

            def cell_complete(cell, cell_index=None, **kw):
                nonlocal done
                complete(cell, cell_index=cell_index, **kw)
                if cell.cell_type == "code":
                    done += 1
                    progress.write_text(f"{done} {total}")

            nb_man.cell_complete = cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("serlib-progress", ProgressEngine)
    result: dict = {"ok": True}
    try:
        papermill.execute_notebook(spec["source"], spec["report"],
                                   parameters=spec["parameters"], cwd=spec["cwd"],
                                   kernel_name="python3", engine_name="serlib-progress",
                                   progress_bar=False, request_save_on_cell_execute=False)
    except papermill.PapermillExecutionError as err:
        result = {"ok": False, "cell_index": err.cell_index, "exec_count": err.exec_count,
                  "ename": err.ename, "evalue": err.evalue}
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


@dataclass
class _Run:
    chapter: Path
    rel: Path
    out: Path
    report: Path
    key: str
    proc: subprocess.Popen
    work: Path
    started: float
    last_beat: float


def _start(chapter: Path, edition: Edition, env: dict, key: str) -> _Run:
    rel = _book_relative(chapter)
    report = edition.reports / rel.with_suffix(".ipynb")
    report.parent.mkdir(parents=True, exist_ok=True)
    work = edition.reports / rel.with_suffix(".run")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "source.ipynb"
    nbformat.write(source_notebook(chapter), source)
    spec = {"source": str(source), "report": str(report), "parameters": edition.parameters,
            "cwd": str(chapter.parent), "progress": str(work / "progress"),
            "result": str(work / "result.json")}
    (work / "spec.json").write_text(json.dumps(spec))
    log = (work / "log.txt").open("w")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_execute-one",
                             str(work / "spec.json")],
                            env={**env, "SERLIB_CHAPTER": chapter.stem},  # cost records
                            stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO)
    now = time.monotonic()
    print(f"[book] {edition.name} {chapter.stem}: executing with {edition.parameters} ...",
          flush=True)
    return _Run(chapter, rel, edition.executed / rel.with_suffix(".ipynb"), report, key, proc,
                work, now, now)


def _progress(run: _Run) -> str:
    try:
        done, total = (run.work / "progress").read_text().split()
        return f", cell {done}/{total} done"
    except (OSError, ValueError):
        return ", starting the kernel"


def _finish(run: _Run, edition: Edition, threads: int) -> str | None:
    """Move a finished run into place; the failure message, or None."""
    elapsed = time.monotonic() - run.started
    result_file = run.work / "result.json"
    if run.proc.returncode != 0 or not result_file.exists():
        log = (run.work / "log.txt").read_text(errors="replace")[-3000:]
        return (f"chapter {run.rel} could not be executed (papermill exited with "
                f"{run.proc.returncode}); its log ends with:\n{log}")
    result = json.loads(result_file.read_text())
    if not result["ok"]:
        run.out.unlink(missing_ok=True)  # never leave a stale page behind a failure
        run.out.with_suffix(".key").unlink(missing_ok=True)
        return (f"chapter {run.rel} failed in cell {result['cell_index']} (execution count "
                f"{result['exec_count']}): {result['ename']}: {result['evalue']}\n"
                f"The executed notebook with the traceback is {run.report}")
    notebook = nbformat.read(run.report, as_version=4)
    for cell in notebook.cells:  # papermill's injected parameters are not part of the page
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    run.out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, run.out)
    run.out.with_suffix(".key").write_text(run.key)
    run.report.unlink()
    shutil.rmtree(run.work, ignore_errors=True)
    entry = book_runtimes.record(RUNTIMES, run.chapter.stem, edition.name,
                                 book_runtimes.measure_notebook(notebook), threads=threads)
    slow = ", ".join(f"cell {i} {s:.0f} s" for i, s in entry["slowest_cells"])
    print(f"[book] {edition.name} {run.chapter.stem}: done in {elapsed:.0f} s "
          f"(papermill: {entry['seconds']:.0f} s; slowest: {slow})", flush=True)
    return None


def execute_chapters(chapters: list[Path], edition: Edition = Edition(), *, jobs: int = 1,
                     force: bool = False, timeout: float | None = None) -> list[Path]:
    """Execute chapters with papermill, ``jobs`` at a time (once per change).

    Args:
        timeout: seconds a chapter may take (None: no limit); a chapter that takes longer is
            stopped and reported (the dry run uses it: a capped chapter takes minutes).

    Raises:
        ChapterFailed: naming every failed chapter and its failing cell (the others ran).
    """
    jobs = max(1, jobs)
    env, notes = kernel_env(edition, jobs)
    threads = int(env["OMP_NUM_THREADS"])
    pending = []
    for chapter in chapters:
        rel = _book_relative(chapter)
        out = edition.executed / rel.with_suffix(".ipynb")
        key = execution_key(chapter, edition.parameters, env)
        key_file = out.with_suffix(".key")
        if not force and out.exists() and key_file.exists() and key_file.read_text() == key:
            print(f"[book] {edition.name} {chapter.stem}: up to date")
        else:
            pending.append((chapter, key))
    if pending:
        for note in notes:
            print(f"[book] {edition.name}: {note}", flush=True)
        # what the chapters were given: the pages say whether the edition fell back
        edition.root.mkdir(parents=True, exist_ok=True)
        inputs = edition.root / "inputs.json"
        tmp = inputs.with_suffix(".tmp")
        tmp.write_text(json.dumps({"SERLIB_DATA": env.get("SERLIB_DATA", "")}) + "\n")
        tmp.replace(inputs)
    running: list[_Run] = []
    failures: list[str] = []
    while pending or running:
        while pending and len(running) < jobs:
            chapter, key = pending.pop(0)
            running.append(_start(chapter, edition, env, key))
        time.sleep(0.5)
        now = time.monotonic()
        for run in list(running):
            if run.proc.poll() is not None:
                running.remove(run)
                failure = _finish(run, edition, threads)
                if failure:
                    print(f"[book] {edition.name} {run.chapter.stem}: FAILED after "
                          f"{now - run.started:.0f} s", flush=True)
                    failures.append(failure)
            elif timeout and now - run.started > timeout:
                run.proc.terminate()  # the kernel exits with its parent (JPY_PARENT_PID)
                run.proc.wait()
                running.remove(run)
                run.out.unlink(missing_ok=True)
                run.out.with_suffix(".key").unlink(missing_ok=True)
                print(f"[book] {edition.name} {run.chapter.stem}: STOPPED after {timeout:.0f} s",
                      flush=True)
                failures.append(
                    f"chapter {run.rel} ({edition.name}) took longer than {timeout:.0f} s"
                    f"{_progress(run)} and was stopped" + (
                        "; a dry run must cap its work: does the chapter honour DRY_RUN?"
                        if edition.dry_run else ""))
            elif now - run.last_beat >= HEARTBEAT_S:
                run.last_beat = now
                print(f"[book] {edition.name} {run.chapter.stem}: {now - run.started:.0f} s"
                      f"{_progress(run)}", flush=True)
    if failures:
        raise ChapterFailed("\n".join(failures))
    return [edition.executed / _book_relative(c).with_suffix(".ipynb") for c in chapters]


def execute_chapter(chapter: Path, *, profile: str = "smoke", dry_run: bool = False,
                    force: bool = False) -> Path:
    """Execute one chapter (see :func:`execute_chapters`)."""
    return execute_chapters([chapter], Edition(profile, dry_run), force=force)[0]


# --- HTML -------------------------------------------------------------------------------------
def staged_config(edition: Edition, student: bool) -> dict:
    """``_config.yml`` with the measured runtimes as substitutions (and the student title)."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    stems = [c.stem for c in chapter_sources()]
    subs = book_runtimes.substitutions(book_runtimes.load(RUNTIMES), stems,
                                       book_runtimes.load_estimates(T4_ESTIMATES))
    subs["edition"] = EDITION_WORDS[edition.name] + (" (student copy: solutions removed)"
                                                     if student else "")
    fallback = data_fell_back(edition)
    if fallback:
        subs["edition"] = (f"the {edition.profile} edition built WITHOUT the real corpora: "
                           f"{fallback}, so every chapter fell back to the synthetic corpus "
                           "and its numbers say nothing about real speech")
    parse = config.setdefault("parse", {})
    parse["myst_substitutions"] = {**parse.get("myst_substitutions", {}), **subs}
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    if local_mathjax() is not None:  # copied into _static/mathjax by stage_site
        sphinx_config["mathjax_path"] = "mathjax/tex-mml-chtml.js"
    html_options = config.setdefault("html", {})
    if fallback:  # on every page, above the title
        html_options["announcement"] = (
            f"This {edition.profile} edition was built without the real corpora "
            f"({fallback}): its chapters ran on the synthetic fallback corpus.")
        config["title"] = f"{config['title']} ({edition.profile} edition on synthetic data)"
    if student:
        config["title"] = f"{config['title']} (student edition)"
        # the Colab buttons open the student notebooks, published next to the others
        config["repository"]["path_to_book"] = "student"
    return config


def data_fell_back(edition: Edition) -> str:
    """Why a real-data edition ran on the synthetic fallback corpus ("" when it did not).

    The ``cpu`` and ``full`` profiles read the real corpora from ``$SERLIB_DATA`` (or
    ``<shared>/data``, see :func:`kernel_env`); without them the chapters fall back to the
    synthetic corpus, and the edition must say so on every page. What the chapters were
    given is recorded in ``_build/<edition>/inputs.json`` when they run; before any ran,
    the current environment is judged.
    """
    if edition.profile == "smoke":
        return ""
    recorded = edition.root / "inputs.json"  # written when the edition's chapters ran
    if recorded.exists():  # what kernel_env gave them (the shared data already resolved)
        data = json.loads(recorded.read_text())["SERLIB_DATA"]
    else:
        data = os.environ.get("SERLIB_DATA")
        if not data:
            found = shared_root() / "data"
            data = str(found) if found.is_dir() else ""
    if not data:
        return "SERLIB_DATA was not set and no shared data folder was found"
    if not Path(data).is_dir() or not any(Path(data).iterdir()):
        return f"SERLIB_DATA={data} holds no corpus"
    return ""


def local_mathjax() -> Path | None:
    """A local MathJax 3 (the folder holding ``tex-mml-chtml.js``), or None (the CDN).

    ``$SERLIB_MATHJAX``, else ``_build/mathjax/node_modules/mathjax/es5`` (``make mathjax``:
    ``npm install --prefix _build/mathjax mathjax@3``). A book built with it renders its
    equations without a network; without it the pages load MathJax from the CDN.
    """
    for candidate in (os.environ.get("SERLIB_MATHJAX"),
                      BUILD / "mathjax" / "node_modules" / "mathjax" / "es5"):
        if candidate and (Path(candidate) / "tex-mml-chtml.js").is_file():
            return Path(candidate)
    return None


def student_excluded() -> set[str]:
    """Toc pages left out of the student edition: front matter ``student_edition: false``
    (the instructor guide, with its grading hints)."""
    names = set()
    for name in toc_files():
        text = (REPO / f"{name}.md").read_text(encoding="utf-8")
        if text.startswith("---"):
            front = yaml.safe_load(text.split("\n---", 1)[0][3:]) or {}
            if front.get("student_edition") is False:
                names.add(name)
    return names


def _toc_without(toc: dict, excluded: set[str]) -> dict:
    def keep(entries: list) -> list:
        kept = []
        for entry in entries or []:
            if entry.get("file") in excluded:
                continue
            if "sections" in entry:
                entry = {**entry, "sections": keep(entry["sections"])}
                if not entry["sections"]:
                    entry.pop("sections")
            kept.append(entry)
        return kept

    toc = dict(toc)
    if "parts" in toc:
        toc["parts"] = [{**part, "chapters": keep(part.get("chapters"))}
                        for part in toc["parts"] if keep(part.get("chapters"))]
    if "chapters" in toc:
        toc["chapters"] = keep(toc["chapters"])
    return toc


def stage_site(edition: Edition, *, student: bool = False) -> Path:
    """Copy config, pages and executed notebooks into ``_build/<edition>/site[-student]``."""
    site = edition.root / ("site-student" if student else "site")
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    (site / "_config.yml").write_text(
        yaml.safe_dump(staged_config(edition, student), sort_keys=False), encoding="utf-8")
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    excluded = student_excluded() if student else set()
    if excluded:
        toc = _toc_without(toc, excluded)
    (site / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    chapters = {c.relative_to(REPO) for c in chapter_sources()
                if str(c.relative_to(REPO).with_suffix("")) not in excluded}
    for path in BOOK.rglob("*"):
        rel = path.relative_to(REPO)
        if (path.is_dir() or rel in chapters or "__pycache__" in rel.parts
                or str(rel.with_suffix("")) in excluded):
            continue
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        if student and path.suffix == ".md":
            text, _ = book_student.strip_text(path.read_text(encoding="utf-8"), where=str(rel))
            (site / rel).write_text(text + "\n", encoding="utf-8")
        else:
            shutil.copy2(path, site / rel)
    mathjax = local_mathjax()
    if mathjax is not None:
        shutil.copytree(mathjax, site / "book" / "_static" / "mathjax")
    table = book_runtimes.table_markdown(book_runtimes.load(RUNTIMES),
                                         [c.stem for c in chapter_sources()])
    (site / "book" / "_includes").mkdir(parents=True, exist_ok=True)
    (site / "book" / "_includes" / "runtimes_table.md").write_text(table + "\n")
    for rel in sorted(chapters):
        executed = edition.executed / rel.with_suffix(".ipynb")
        if not executed.exists():
            raise FileNotFoundError(f"{executed} is missing: execute the {edition.name} "
                                    "edition first (make book PROFILE=...)")
        notebook = nbformat.read(executed, as_version=4)
        book_runtimes.hide_stopwatch(notebook)  # one runtime per page: the header's
        if student:
            notebook = book_student.strip_notebook(notebook, where=str(rel))
        nbformat.write(notebook, site / rel.with_suffix(".ipynb"))
    return site


def build_html(edition: Edition = Edition(), *, student: bool = False,
               strict: bool = True) -> Path:
    """Stage the edition and build it with Jupyter Book; returns the HTML folder."""
    site = stage_site(edition, student=student)
    jb_out = edition.root / ("jb-student" if student else "jb")
    local = Path(sys.executable).parent / "jupyter-book"  # the one of this environment
    args = [str(local) if local.exists() else "jupyter-book", "build", str(site),
            "--path-output", str(jb_out)]
    if strict:
        args += ["-n", "-W", "--keep-going"]
    print("[book] " + " ".join(args), flush=True)
    started = time.monotonic()
    subprocess.run(args, check=True, cwd=REPO)
    html = edition.html(student)
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(jb_out / "_build" / "html", html)
    print(f"[book] HTML ({edition.name}{', student' if student else ''}) in "
          f"{html / 'index.html'} ({time.monotonic() - started:.0f} s)")
    return html


# --- command line -----------------------------------------------------------------------------
def run_checks(edition: Edition, *, student: bool = False, html: bool = True) -> int:
    problems = book_checks.check_edition(edition, chapter_sources(), toc_files(),
                                         student=student, html=html,
                                         excluded=frozenset(student_excluded()))
    for problem in problems:
        print(f"[book] CHECK FAILED ({edition.name}): {problem}", file=sys.stderr)
    if not problems:
        what = "notebooks" + (" and HTML" if html else "")
        print(f"[book] checks passed: {edition.name}{' student' if student else ''} {what}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_execute-one"]:
        return _execute_one(argv[1])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", default="all",
                        choices=["all", "notebooks", "execute", "html", "check", "student",
                                 "runtimes"])
    parser.add_argument("--profile", default=os.environ.get("PROFILE", "smoke"),
                        choices=PROFILES,
                        help="the PROFILE parameter passed to every chapter (default: smoke)")
    parser.add_argument("--dry-run", action="store_true",
                        help="also pass DRY_RUN=True (capped work; execution only)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("BOOK_JOBS", "1")),
                        help="chapters executed at once (default: $BOOK_JOBS or 1)")
    parser.add_argument("--chapter", action="append", default=None,
                        help="only this chapter (file stem, e.g. 06_cross_lingual_gap)")
    parser.add_argument("--force", action="store_true", help="re-execute even if up to date")
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("BOOK_TIMEOUT", "0")) or None,
                        help="seconds a chapter may take (default: $BOOK_TIMEOUT, else none)")
    parser.add_argument("--readme", action="store_true",
                        help="runtimes: write the measurements into README.md")
    args = parser.parse_args(argv)
    edition = Edition(args.profile, args.dry_run)
    chapters = chapter_sources()
    if args.chapter:
        chapters = [c for c in chapters if c.stem in args.chapter]
    html = not args.dry_run
    try:
        if args.step == "runtimes":
            return _runtimes(args.readme)
        if args.step in ("all", "notebooks", "student"):
            for chapter in chapters:
                profile = "smoke" if args.dry_run else args.profile  # the readers' edition
                made = make_notebook(chapter, profile=profile)
                print(f"[book] notebook {made.relative_to(REPO)} (PROFILE={profile!r}, "
                      "+ student copy)")
        if args.step in ("all", "execute", "student"):
            execute_chapters(chapters, edition, jobs=args.jobs, force=args.force,
                             timeout=args.timeout)
        if args.step in ("all", "html") and html:
            build_html(edition)
        if args.step == "student":
            build_html(edition, student=True)
        if args.step in ("all", "check", "student"):
            return run_checks(edition, student=args.step == "student", html=html)
    except (ChapterFailed, book_student.SolutionBlockError, FileNotFoundError) as err:
        print(f"[book] ERROR ({edition.name}): {err}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as err:
        print(f"[book] ERROR ({edition.name}): Jupyter Book failed (exit {err.returncode}); "
              "see the warnings above (the build treats every warning as an error)",
              file=sys.stderr)
        return 1
    return 0


def _runtimes(readme: bool) -> int:
    data = book_runtimes.load(RUNTIMES)
    stems = [c.stem for c in chapter_sources()]
    print(book_runtimes.table_markdown(data, stems))
    if readme:
        stages_file = BUILD / "test_timings.json"
        stages = json.loads(stages_file.read_text()) if stages_file.exists() else None
        block = book_runtimes.readme_block(data, stems, stages)
        if not book_runtimes.update_readme(REPO / "README.md", block):
            print("[book] README.md has no runtimes markers", file=sys.stderr)
            return 1
        print("[book] README.md: runtimes updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
