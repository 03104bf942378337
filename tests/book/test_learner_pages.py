"""The learner pages: in the table of contents, consistent with the chapters and the library."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from serlib.experiments import PROFILES
from serlib.viz import pipeline

REPO = Path(__file__).resolve().parents[2]
PAGES = ("book/before_you_start", "book/glossary", "book/troubleshooting")


def _toc_files() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def test_learner_pages_exist_and_are_in_the_toc_before_the_chapters() -> None:
    files = _toc_files()
    for page in PAGES:
        assert (REPO / f"{page}.md").is_file(), page
        assert page in files, f"_toc.yml does not list {page}"
        assert files.index(page) < files.index("book/02_corpora"), f"{page}: before chapter 2"


def test_learner_pages_are_in_both_editions() -> None:
    """Pages leave the student edition only with ``student_edition: false``."""
    for page in PAGES:
        text = (REPO / f"{page}.md").read_text(encoding="utf-8")
        assert "student_edition" not in text, page
        assert "kernelspec" not in text, f"{page}: a plain page, not a chapter notebook"


def test_every_chapter_has_a_row_with_measured_runtimes_and_a_stated_reading_time() -> None:
    """Compute times are the build's substitutions; reading times follow the stated rule
    (prose at 200 words, code at 20 lines a minute), within 10 minutes."""
    text = (REPO / "book" / "before_you_start.md").read_text(encoding="utf-8")
    for chapter in sorted((REPO / "book").glob("[0-9][0-9]_*.md")):
        number = chapter.name[:2]
        row = re.search(rf"^\| {int(number)} .*$", text, re.M)
        assert row, f"no row for chapter {number}"
        for edition in ("smoke", "cpu", "full"):
            assert f"{{{{ runtime_{number}_{edition} }}}}" in row.group(0)
        stated = int(re.search(r"\| (\d+) min \|", row.group(0)).group(1))
        notebook = jupytext.read(chapter)
        words = sum(len(re.findall(r"\w+", c.source)) for c in notebook.cells
                    if c.cell_type == "markdown")
        code = sum(len(c.source.splitlines()) for c in notebook.cells if c.cell_type == "code")
        assert abs(stated - (words / 200 + code / 20)) <= 10, (
            f"chapter {number}: reading time {stated} min, the rule gives "
            f"{words / 200 + code / 20:.0f}; update book/before_you_start.md")


def test_the_glossary_defines_the_fixed_vocabulary_and_chapter_terms_resolve() -> None:
    text = (REPO / "book" / "glossary.md").read_text(encoding="utf-8")
    for name in ("x_s", "y_s", "x_t", "y_t", "feats_s", "feats_t", "logits", "trade_off",
                 "threshold", "sample_rate", "n_mels", "num_epochs", "lr"):
        assert f"`{name}`" in text, f"the notation table misses {name}"
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = set(re.findall(r"^(\S.*)$", block, re.M))
    for term in ("UAR", "WA", "MMD", "pseudo-label", "zero-shot", "speaker-independent split",
                 "inductive", "target domain", "target speaker", "labels used", "AdaBN",
                 "BYOL-S", "log-mel"):
        assert term in terms, f"the glossary misses {term}"
    for chapter in sorted((REPO / "book").glob("*.md")):
        for used in re.findall(r"\{term\}`([^`]+)`", chapter.read_text(encoding="utf-8")):
            target = re.search(r"<([^>]+)>$", used)
            assert (target.group(1) if target else used) in terms, f"{chapter.name}: {used}"


def test_the_published_pipeline_figures_are_what_the_library_draws_now() -> None:
    for part in pipeline.PARTS:
        published = (REPO / "book" / "_static" / f"pipeline_part{part}.svg").read_text(
            encoding="utf-8")
        assert published == pipeline.pipeline_svg(part, PROFILES), (
            f"pipeline_part{part}.svg is stale: run `python -m serlib.viz.pipeline book/_static`")
        assert f"pipeline_part{part}.svg" in (REPO / "book" / "before_you_start.md").read_text(
            encoding="utf-8")


def test_the_pipeline_reads_the_method_table_and_the_profiles(monkeypatch) -> None:
    stages = {s.title: s for s in pipeline.pipeline_stages(2, PROFILES)}
    assert "mmd (trade_off)" in stages["adaptation"].lines
    assert "hard_pl (threshold)" in stages["adaptation"].lines
    assert not {s.title: s for s in pipeline.pipeline_stages(1, PROFILES)}["adaptation"].active
    mmd = pipeline.METHODS["mmd"]
    monkeypatch.setitem(pipeline.METHODS, "new_method",
                        dataclasses.replace(mmd, name="new_method", grid=("trade_off",)))
    assert "new_method (trade_off)" in pipeline.pipeline_svg(2, PROFILES)
    renamed = {name: dataclasses.replace(p, backbones={"agarla": "other_encoder"})
               for name, p in PROFILES.items()}
    assert "other_encoder" in pipeline.pipeline_svg(1, renamed)
    with pytest.raises(ValueError, match="parts"):
        pipeline.pipeline_stages(4, PROFILES)


@pytest.mark.parametrize("chapter", sorted((REPO / "book").glob("[0-9][0-9]_*.md")),
                         ids=lambda p: p.stem)
def test_each_chapter_opens_with_its_reading_time_level_and_measured_compute(chapter) -> None:
    """The marker under the title agrees with the table of *Before you start*."""
    number = chapter.name[:2]
    text = chapter.read_text(encoding="utf-8")
    marker = re.search(r"^# .*\n\n\*Reading (\d+) min · level (●+) of ●●● · compute, as the "
                       rf"build measured it:\n\{{\{{ runtime_{number}_smoke \}}\}} \(`smoke`\), "
                       rf"\{{\{{ runtime_{number}_cpu \}}\}} \(`cpu`\)", text, re.M)
    assert marker, f"{chapter.name}: the reading/level/compute line under the title"
    table = (REPO / "book" / "before_you_start.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| {int(number)} [^|]*\| (●+) \| (\d+) min \|", table, re.M)
    assert (marker.group(2), marker.group(1)) == row.groups(), chapter.name
