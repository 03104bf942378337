"""The pipeline a part of the book walks through, drawn from the library's own tables.

data → log-mel → encoder → head → adaptation → evaluation: each box lists what ``serlib``
actually offers at that stage, read from the tables that own it (``serlib.data.CORPORA`` and
``LABEL_SETS``, ``serlib.features.MEL_PRESETS``, the profiles' backbones,
``serlib.adapt.METHODS`` with their chapters and hyper-parameters, ``serlib.evaluate.METRICS``),
so the figure cannot drift from the code: a renamed method or backbone changes the figure,
and a test compares the published SVGs with what this module draws now.

The profiles live above this layer (``serlib.experiments``), so they are passed in.
``python -m serlib.viz.pipeline book/_static`` rewrites the SVGs of the learner pages.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import html
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from serlib.adapt import METHODS
from serlib.data import CORPORA, LABEL_SETS
from serlib.evaluate import METRICS
from serlib.features import MEL_PRESETS

__all__ = ["PARTS", "Stage", "pipeline_stages", "pipeline_svg", "write_pipeline_svgs"]

#: the book's parts: caption and the chapters (numbers) each holds
PARTS: dict[int, tuple[str, tuple[int, ...]]] = {
    1: ("Part I: Foundations (a source model, measured)", (2, 3, 4, 5)),
    2: ("Part II: Crossing languages (adaptation)", (6, 7, 8, 9)),
    3: ("Part III: Practice (grids, bundles, your corpus)", (10, 11)),
}


@dataclass(frozen=True)
class Stage:
    """One box of the figure: its title and its lines (names from the library)."""

    title: str
    lines: tuple[str, ...]
    active: bool = True  # False: the part does not use this stage (drawn greyed)


def _chapter(method) -> int:
    return int(Path(method.chapter).name[:2]) if Path(method.chapter).name[:2].isdigit() else 0


def pipeline_stages(part: int, profiles: Mapping) -> list[Stage]:
    """The six stages of ``part`` (1, 2 or 3), each naming what serlib offers there.

    Args:
        part: the book's part.
        profiles: ``serlib.experiments.PROFILES`` (name → profile with ``source``,
            ``targets``, ``backbones``).
    """
    if part not in PARTS:
        raise ValueError(f"part {part!r}: the book has parts {sorted(PARTS)}")
    chapters = PARTS[part][1]
    data = [f"{p}: {q.source} → {', '.join(q.targets)}" for p, q in profiles.items()]
    data += [f"{len(CORPORA)} corpora known; label sets", ", ".join(LABEL_SETS),
             "splits by speaker"]
    encoders = [f"{p}: {', '.join(dict.fromkeys(q.backbones.values()))}"
                for p, q in profiles.items()]
    methods = [m for m in METHODS.values() if _chapter(m) in chapters and m.step]
    if part == 3:  # the runner runs every method of the table
        methods = [m for m in METHODS.values() if m.step]
    adapt = [f"{m.name}" + (f" ({', '.join(m.grid)})" if m.grid else "") for m in methods]
    adaptation = Stage("adaptation", tuple(adapt) if adapt else
                       ("none: the source model", "is trained and selected", "on the source only"),
                       active=bool(adapt))
    evaluation = [" · ".join(m.upper() if m != "macro_f1" else "macro-F1" for m in METRICS),
                  "bootstrap intervals", "chance levels", "test-time information"]
    if part == 3:
        evaluation += ["results rows, summaries", "bundles, model cards"]
    return [
        Stage("data", tuple(data)),
        Stage("log-mel", ("presets: " + ", ".join(MEL_PRESETS), "x_s, x_t: inputs")),
        Stage("encoder", (*encoders, "→ feats_s, feats_t")),
        Stage("head", ("model.head: the classifier", "→ logits, one per emotion",
                       "of the label set")),
        adaptation,
        Stage("evaluation", tuple(evaluation)),
    ]


def pipeline_svg(part: int, profiles: Mapping, *, box_width: int = 200, per_row: int = 3) -> str:
    """The stages of ``part`` as a standalone SVG (deterministic text, no matplotlib).

    The six boxes sit in rows of ``per_row`` (two rows of three fit a page's width at full
    size); an arrow leads from each stage to the next.
    """
    stages = pipeline_stages(part, profiles)
    gap, pad, line_h, chars = 26, 10, 15, box_width // 6 - 2
    wrapped = [[piece for line in s.lines for piece in textwrap.wrap(line, chars)]
               for s in stages]
    box_h = 44 + line_h * max(len(lines) for lines in wrapped)
    rows = -(-len(stages) // per_row)
    width = pad * 2 + per_row * box_width + (per_row - 1) * gap
    height = 2 * pad + 24 + rows * box_h + (rows - 1) * gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f'<text x="{pad}" y="{pad + 12}" font-size="14" font-weight="bold">'
           f"{html.escape(PARTS[part][0])}</text>"]
    arrow = 'stroke="#345995" stroke-width="1.5" fill="none"'
    for index, (stage, lines) in enumerate(zip(stages, wrapped, strict=True)):
        x = pad + (index % per_row) * (box_width + gap)
        top = pad + 24 + (index // per_row) * (box_h + gap)
        fill, ink = ("#e8f0fb", "#1a1a1a") if stage.active else ("#f2f2f2", "#888888")
        out.append(f'<rect x="{x}" y="{top}" width="{box_width}" height="{box_h}" rx="8" '
                   f'fill="{fill}" stroke="#345995" stroke-width="1.5"/>')
        out.append(f'<text x="{x + box_width / 2:g}" y="{top + 22}" font-size="15" '
                   f'font-weight="bold" text-anchor="middle" fill="{ink}">'
                   f"{html.escape(stage.title)}</text>")
        for row, line in enumerate(lines):
            out.append(f'<text x="{x + 9}" y="{top + 42 + row * line_h}" font-size="12" '
                       f'fill="{ink}">{html.escape(line)}</text>')
        if index and index % per_row:  # from the box on the left
            y = top + box_h / 2
            out.append(f'<path d="M{x - gap + 3} {y:g} h{gap - 8} l-5 -4 m5 4 l-5 4" {arrow}/>')
        elif index:  # from the last box of the row above, down and back to the left
            last = pad + (per_row - 1) * (box_width + gap) + box_width / 2
            out.append(f'<path d="M{last:g} {top - gap + 2} v{gap / 2 - 2:g} '
                       f'H{x + box_width / 2:g} v{gap / 2 - 4:g} l-4 -5 m4 5 l4 -5" {arrow}/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_pipeline_svgs(folder: str | Path, profiles: Mapping) -> list[Path]:
    """Write ``pipeline_part{1,2,3}.svg`` into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in PARTS:
        path = folder / f"pipeline_part{part}.svg"
        tmp = path.with_suffix(".svg.tmp")
        tmp.write_text(pipeline_svg(part, profiles), encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m serlib.viz.pipeline book/_static
    from serlib.experiments import PROFILES  # the caller's layer, not this module's

    for written in write_pipeline_svgs(sys.argv[1] if len(sys.argv) > 1 else ".", PROFILES):
        print(written)
