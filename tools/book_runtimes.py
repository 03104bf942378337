"""Measured runtimes: what papermill recorded, merged across the editions built here.

Every execution of a chapter writes its measured duration (papermill's per-cell
``metadata.papermill.duration``, summed) into ``_build/runtimes.json``, keyed by chapter and
edition (``smoke``, ``cpu``, ``full``, ``full-dryrun``); building another edition in the same
checkout adds to the file instead of replacing it. The HTML stage turns the file into MyST
substitutions (:func:`substitutions`), so a page states only measured times:

- ``{{ runtime_06_smoke }}``: ``1 min 52 s``, or ``–`` (for a table cell) where the edition
  was not built here;
- ``{{ runtime_06 }}``: chapter 6's one runtime line: every edition built here, one figure
  each (papermill's, the only source: the page leaves out the chapter's own stopwatch cell),
  and for ``full``, where no GPU run was measured, the estimate of ``_build/t4_estimates.json``
  (``{"06_cross_lingual_gap": {"t4_seconds": 5400.0, "source": "estimated from counted
  FLOPs of the dry run"}}``) when there is one; editions neither built nor estimated are
  left out;
- ``{{ runtime_book_smoke }}``: all chapters of an edition together (``–`` if none ran).

``python tools/build_book.py runtimes --readme`` writes the same figures into the README,
between the markers ``<!-- runtimes:begin -->`` and ``<!-- runtimes:end -->``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

#: the editions, in the order a sentence lists them
EDITIONS = ("smoke", "cpu", "full", "full-dryrun")
#: the editions a chapter's runtime line names (the dry run is a test, not an edition to read)
READ_EDITIONS = ("smoke", "cpu", "full")
#: the chapter's last cell, which prints its own stopwatch (left off the page)
STOPWATCH_REPORT = "watch.report("
#: what a table cell shows for an edition that was not built here
NOT_MEASURED = "–"
#: GPU estimates for the ``full`` profile, written by the dry run's FLOP count (or measured)
T4_ESTIMATES = "t4_estimates.json"
README_BEGIN = "<!-- runtimes:begin -->"
README_END = "<!-- runtimes:end -->"

__all__ = [
    "EDITIONS",
    "NOT_MEASURED",
    "READ_EDITIONS",
    "format_seconds",
    "hide_stopwatch",
    "load",
    "load_estimates",
    "machine",
    "measure_notebook",
    "readme_block",
    "record",
    "substitutions",
    "update_readme",
]


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min`` (the same format as serlib.book)."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def machine(threads: int) -> str:
    """Where a measurement was taken, in words (``2 CPU cores``, or the GPU's name)."""
    gpu = ""
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout
            gpu = out.split(":", 1)[1].split("(")[0].strip() if ":" in out else ""
        except (OSError, subprocess.SubprocessError):
            gpu = ""
    cpus = f"{threads} of {os.cpu_count()} CPU cores" if threads != os.cpu_count() \
        else f"{threads} CPU cores"
    return f"{gpu} GPU, {cpus}" if gpu else f"{cpus} ({platform.machine()})"


def measure_notebook(notebook) -> dict:
    """Total and slowest cells of an executed notebook, from papermill's metadata."""
    durations = []
    for index, cell in enumerate(notebook.cells):
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and isinstance(seconds, (int, float)):
            durations.append((index, float(seconds)))
    total = notebook.metadata.get("papermill", {}).get("duration")
    if not isinstance(total, (int, float)):
        total = sum(seconds for _, seconds in durations)
    slowest = sorted(durations, key=lambda item: -item[1])[:3]
    return {"seconds": round(float(total), 1), "cells": len(durations),
            "slowest_cells": [[index, round(seconds, 1)] for index, seconds in slowest]}


def hide_stopwatch(notebook) -> None:
    """Tag the chapter's stopwatch cell ``remove-cell``: a reader running the notebook sees
    their own time, the page states the build's measurement only (one runtime, one source)."""
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if cell.cell_type == "code" and STOPWATCH_REPORT in cell.source \
                and "remove-cell" not in tags:
            tags.append("remove-cell")


def load(path: Path) -> dict:
    """The measurements file, or an empty one."""
    if not path.exists():
        return {"version": 1, "chapters": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def record(path: Path, chapter: str, edition: str, measurement: dict, *, threads: int) -> dict:
    """Add one measurement (replacing the edition's previous one) and write the file atomically."""
    data = load(path)
    entry = dict(measurement, threads=threads, machine=machine(threads),
                 measured=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    data["chapters"].setdefault(chapter, {})[edition] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return entry


def _key(edition: str) -> str:
    return edition.replace("-", "_")


def _number(chapter: str) -> str:
    match = re.match(r"(\d+)_", chapter)
    return match.group(1) if match else chapter


def load_estimates(path: Path) -> dict:
    """``{chapter: {"t4_seconds": float, "source": str}}`` from ``_build/t4_estimates.json``,
    or ``{}`` when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {chapter: entry for chapter, entry in data.items() if isinstance(entry, dict)
            and isinstance(entry.get("t4_seconds"), (int, float)) and entry["t4_seconds"] > 0}


def _estimate(entry: dict) -> str:
    """``≈ 1 h 30 min estimated on a T4 (from counted FLOPs of the dry run)``, or
    ``1 h 30 min measured on Tesla T4``."""
    source = str(entry.get("source", "")).strip()
    time = format_seconds(entry["t4_seconds"])
    if source.startswith("measured"):
        return f"{time} {source}"
    detail = source.removeprefix("estimated").strip()
    return f"≈ {time} estimated on a T4" + (f" ({detail})" if detail else "")


def substitutions(data: dict, chapters: list[str],
                  estimates: dict | None = None) -> dict[str, str]:
    """MyST substitutions for every chapter and edition (see the module docstring)."""
    estimates = estimates or {}
    subs: dict[str, str] = {}
    totals: dict[str, float] = {}
    counted: dict[str, int] = {}
    for chapter in chapters:
        measured = data["chapters"].get(chapter, {})
        number = _number(chapter)
        parts = []
        for edition in EDITIONS:
            entry = measured.get(edition)
            if entry is None:
                value = NOT_MEASURED
                if edition == "full" and chapter in estimates:
                    value = _estimate(estimates[chapter])
                    parts.append(f"`full` {value}")
            else:
                value = format_seconds(entry["seconds"])
                totals[edition] = totals.get(edition, 0.0) + entry["seconds"]
                counted[edition] = counted.get(edition, 0) + 1
                if edition in READ_EDITIONS:
                    parts.append(f"`{edition}` {value} ({entry['machine']}, "
                                 f"{entry['measured']})")
            subs[f"runtime_{number}_{_key(edition)}"] = value
        subs[f"runtime_{number}"] = "; ".join(parts) or NOT_MEASURED
    for edition in EDITIONS:
        total = totals.get(edition)
        n = counted.get(edition, 0)
        subs[f"runtime_book_{_key(edition)}"] = (
            NOT_MEASURED if total is None else format_seconds(total) + (
                "" if n == len(chapters) else f" ({n} of {len(chapters)} chapters)"))
    return subs


def table_markdown(data: dict, chapters: list[str]) -> str:
    """A Markdown table: one row per chapter, one column per edition."""
    lines = ["| chapter | " + " | ".join(f"`{e}`" for e in EDITIONS) + " |",
             "|---|" + "---|" * len(EDITIONS)]
    for chapter in chapters:
        measured = data["chapters"].get(chapter, {})
        cells = [format_seconds(measured[e]["seconds"]) if e in measured else NOT_MEASURED
                 for e in EDITIONS]
        lines.append(f"| `{chapter}` | " + " | ".join(cells) + " |")
    where = sorted({entry["machine"] for chapter in chapters
                    for entry in data["chapters"].get(chapter, {}).values()})
    if where:
        lines.append("")
        lines.append("Measured by the book's build on " + "; ".join(where) + ".")
    return "\n".join(lines)


def readme_block(data: dict, chapters: list[str], stages: dict | None) -> str:
    """The README's runtime section: chapters per edition, then `make test`'s stages."""
    text = [README_BEGIN,
            "<!-- generated by `python tools/build_book.py runtimes --readme`; do not edit -->",
            "", table_markdown(data, chapters)]
    if stages:
        text += ["", f"`make test`, stage by stage ({stages.get('machine', '')}, "
                     f"{stages.get('measured', '')}):", "",
                 "| stage | time | result |", "|---|---|---|"]
        for stage in stages["stages"]:
            text.append(f"| `{stage['name']}` | {format_seconds(stage['seconds'])} | "
                        f"{stage['status']} |")
        text.append(f"| total | {format_seconds(stages['total_seconds'])} | |")
    text.append(README_END)
    return "\n".join(text)


def update_readme(readme: Path, block: str) -> bool:
    """Replace the README's runtime block; returns False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")
    return True
