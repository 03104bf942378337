"""Every ``Chapter:`` back-link in serlib names a chapter of the book, written or planned."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _chapters() -> tuple[set[str], set[str]]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    written = {f"{toc['root']}.md"}
    for part in toc.get("parts", []):
        written |= {f"{entry['file']}.md" for entry in part.get("chapters", [])}
    roadmap = (REPO / "book" / "roadmap.md").read_text(encoding="utf-8")
    planned = set(re.findall(r"`(book/[A-Za-z0-9_]+\.md)`", roadmap))
    return written, planned


def test_every_backlink_names_a_written_or_planned_chapter():
    written, planned = _chapters()
    assert planned, "the roadmap lists no chapter files"
    bad = []
    for path in sorted((REPO / "serlib").rglob("*.py")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for target in re.findall(r"Chapter: (book/\S+\.md)", line):
                if target not in written | planned:
                    bad.append(f"{path.relative_to(REPO)}:{line_no}: {target}")
    assert not bad, "back-links to chapters that are neither in _toc.yml nor planned in " \
                    "book/roadmap.md:\n" + "\n".join(bad)


def test_every_written_chapter_file_exists_and_every_toc_file_is_on_the_roadmap():
    written, planned = _chapters()
    for name in written:
        assert (REPO / name).is_file(), f"_toc.yml lists {name}, which does not exist"
    missing = {n for n in written if n.startswith("book/") and n[5:7].isdigit()} - planned
    assert not missing, f"chapters in _toc.yml but not listed in book/roadmap.md: {missing}"
