"""A chapter that runs fewer fits in a dry run says so through ``dry_run_cut``.

The full edition's T4 estimate (``tools/cost_report.py``) scales the fits the dry run makes.
A sweep that a chapter shortens with a bare ``if profile.dry_run`` (two of four budgets, one
seed of three) hides the rest of the sweep from the estimate; ``dry_run_cut`` /
``dry_run_config`` (``serlib.experiments.cuts``) weigh the fits instead. Every other use of
the dry-run switch in a code cell is listed here with the reason it changes no count of fits.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SWITCH = re.compile(r"\bdry_run\b|\bDRY_RUN\b")
ALWAYS_FINE = (
    re.compile(r"^DRY_RUN = (False|True)\b"),  # the parameters cell
    re.compile(r"chapter_profile\(PROFILE, dry_run=DRY_RUN\)"),  # the profile
    re.compile(r"\bdry_run_(cut|config)\("),  # the helpers themselves
)
#: (chapter, text of the line, why it changes no number of fits of the full edition)
ALLOWED = [
    ("03_log_mel.md", "n_check = min(2 if profile.dry_run else N_CHECK",
     "clips of a numerical check, no fit"),
    ("04_source_models.md", "'-dryrun' if DRY_RUN else ''",
     "the checkpoint folder's name"),
    ("07_mmd.md", "for _ in range(20 if DRY_RUN else N_DRAWS)",
     "draws of an MMD estimator on random tensors, no fit"),
    ("07_mmd.md", "if profile.dry_run:  # a handful of target utterances: a smaller main budget",
     "a value (the main budget fits the dry run's tiny target split), not a count of fits"),
    ("07_mmd.md", 'if PROFILE == "cpu" and not profile.dry_run else {}',
     "speaker folds of the cpu edition; the full edition has none"),
    ("08_pseudo_labels.md", 'if PROFILE == "cpu" and not profile.dry_run else {}',
     "speaker folds of the cpu edition; the full edition has none"),
    ("09_beyond.md", "n_labels = N_LABELS if not profile.dry_run else 10",
     "a value (the dry run's tiny target split), not a count of fits"),
    ("09_beyond.md", 'if PROFILE == "cpu" and not profile.dry_run else {}',
     "speaker folds of the cpu edition; the full edition has none"),
    ("10_reproducing.md", '" (dry run)" if profile.dry_run else ""', "a label"),
    ("appendix_scaling.md", "shards = 2 if DRY_RUN else SHARDS",
     "parts of a list of runs, nothing trained"),
    ("appendix_scaling.md", "samples=32 if DRY_RUN else SAMPLES",
     "the data of a timing, not a count of fits"),
    ("appendix_scaling.md", "for _ in range(5 if DRY_RUN else 50)",
     "draws of an MMD estimator on random tensors, no fit"),
    ("appendix_scaling.md", "samples=64 if DRY_RUN else 512",
     "the data of a timing, not a count of fits"),
    ("instructor_guide.md", "n_labels = min(N_LABELS, 10) if profile.dry_run else N_LABELS",
     "a value (the dry run's tiny target split), not a count of fits"),
    ("instructor_guide.md", '" (dry run)" if profile.dry_run else ""', "a label"),
]


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of the code cells of a MyST notebook, with their line numbers."""
    out, inside = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```{code-cell}"):
            inside = True
        elif inside and line.startswith("```"):
            inside = False
        elif inside:
            out.append((number, line))
    return out


def test_every_dry_run_switch_is_a_weighed_cut_or_changes_no_count_of_fits() -> None:
    used, bare = set(), []
    for path in sorted((REPO / "book").rglob("*.md")):
        for number, line in code_lines(path):
            if not SWITCH.search(line) or any(p.search(line) for p in ALWAYS_FINE):
                continue
            hits = [i for i, (name, text, _) in enumerate(ALLOWED)
                    if name == path.name and text in line]
            used.update(hits)
            if not hits:
                bare.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not bare, (
        "a dry run changes what these lines run; if it runs fewer fits (values, seeds, folds,"
        " targets or methods of a sweep), cut with serlib.experiments.dry_run_cut (or "
        "dry_run_config for a config) so the full edition's T4 estimate counts the whole "
        "sweep; otherwise add the line to ALLOWED in tests/book/test_dry_run_cuts.py with "
        "the reason:\n" + "\n".join(bare))
    stale = [ALLOWED[i][:2] for i in range(len(ALLOWED)) if i not in used]
    assert not stale, f"ALLOWED entries that match no line any more (remove them): {stale}"


def test_the_helpers_cut_in_the_chapters_that_shorten_sweeps() -> None:
    """The chapters whose dry run shortens a sweep go through the helpers (issue 24)."""
    for name in ("05_measuring.md", "07_mmd.md", "08_pseudo_labels.md", "09_beyond.md",
                 "10_reproducing.md", "instructor_guide.md"):
        text = (REPO / "book" / name).read_text(encoding="utf-8")
        assert re.search(r"\bdry_run_(cut|config)\(", text), name
