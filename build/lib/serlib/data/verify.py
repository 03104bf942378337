"""Check a corpus on disk against what its publisher says a complete copy holds.

Each corpus declares its file count and, where published, its per-emotion counts (and for
some corpora the exact file names). :func:`verify_corpus` compares the scan with them and
fails loudly on any difference, so that a half-extracted archive never silently becomes a
smaller corpus.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from serlib.data.corpora import get_corpus
from serlib.data.metadata import resolve_corpus_root
from serlib.data.scan import scan_corpus
from serlib.errors import CorpusVerificationError

__all__ = ["VerificationReport", "verify_corpus"]


@dataclass
class VerificationReport:
    """The outcome of :func:`verify_corpus`.

    Attributes:
        corpus: the corpus id.
        root: the folder checked.
        n_files: usable files found.
        expected_files: files a complete copy holds (None if unpublished).
        counts: harmonised emotion -> files found.
        expected_counts: harmonised emotion -> files expected (None if unpublished).
        missing_names: file stems a complete copy has and this one lacks (where known).
        extra_names: file stems this copy has beyond the published ones (where known).
        duplicates: file stems found more than once.
        unparsed: (path, reason) of names that do not follow the scheme.
        bad_audio: (path, reason) of unreadable or truncated files.
    """

    corpus: str
    root: Path
    n_files: int
    expected_files: int | None
    counts: dict[str, int]
    expected_counts: dict[str, int] | None
    missing_names: list[str] = field(default_factory=list)
    extra_names: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    bad_audio: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count_differences(self) -> dict[str, tuple[int, int]]:
        """emotion -> (found, expected) for every emotion whose count differs."""
        if self.expected_counts is None:
            return {}
        keys = set(self.counts) | set(self.expected_counts)
        return {k: (self.counts.get(k, 0), self.expected_counts.get(k, 0)) for k in sorted(keys)
                if self.counts.get(k, 0) != self.expected_counts.get(k, 0)}

    @property
    def ok(self) -> bool:
        """True when the copy matches everything the corpus declares."""
        return (not self.count_differences and not self.missing_names and not self.extra_names
                and not self.duplicates and not self.unparsed and not self.bad_audio
                and (self.expected_files is None or self.n_files == self.expected_files))

    def summary(self, max_examples: int = 5) -> str:
        """A human-readable report (what ``serlib data verify`` prints)."""
        status = "OK" if self.ok else "MISMATCH"
        expected = "?" if self.expected_files is None else self.expected_files
        lines = [f"{self.corpus} at {self.root}: {status}",
                 f"  files: {self.n_files} found, {expected} expected"]
        if self.expected_counts is None:
            lines.append("  per-emotion counts: not published for this corpus (not checked)")
        for emotion, (found, want) in self.count_differences.items():
            lines.append(f"  {emotion}: {found} found, {want} expected")
        for title, names in (("missing", self.missing_names), ("extra", self.extra_names),
                             ("duplicated", self.duplicates)):
            if names:
                shown = ", ".join(names[:max_examples])
                lines.append(f"  {len(names)} {title} files, e.g. {shown}")
        for title, items in (("unparsable names", self.unparsed),
                             ("unreadable files", self.bad_audio)):
            if items:
                lines.append(f"  {len(items)} {title}, e.g.:")
                lines += [f"    {p}: {why}" for p, why in items[:max_examples]]
        return "\n".join(lines)


def verify_corpus(corpus: str, root: str | os.PathLike[str] | None = None, *,
                  raise_on_error: bool = True, progress: bool = True) -> VerificationReport:
    """Compare a corpus folder with the corpus' declared file and per-emotion counts.

    Args:
        corpus: a corpus id.
        root: the corpus folder or a data root holding it (default ``$SERLIB_DATA/<id>``).
        raise_on_error: raise on a mismatch (default) instead of only reporting it.
        progress: show a progress bar on a terminal.

    Raises:
        CorpusNotFoundError: the folder is missing, unfinished or holds no audio.
        CorpusVerificationError: the copy differs (the message is the full report).

    Chapter: book/02_corpora.md
    """
    spec = get_corpus(corpus)
    scan = scan_corpus(spec, resolve_corpus_root(spec.id, root), progress=progress)
    table = scan.table
    counts = {str(k): int(v) for k, v in table["emotion"].value_counts().sort_index().items()}
    stems = [Path(p).stem for p in table["path"]]
    keys = [f"{s}/{n}" for s, n in zip(table["speaker"], stems, strict=True)]
    dup_keys = sorted(k for k, n in Counter(keys).items() if n > 1)
    report = VerificationReport(
        corpus=spec.id, root=scan.root, n_files=len(table), expected_files=spec.expected_files,
        counts=counts,
        expected_counts=dict(spec.expected_counts) if spec.expected_counts else None,
        duplicates=dup_keys, unparsed=scan.unparsed, bad_audio=scan.bad_audio)
    if spec.expected_names is not None:
        expected, found = spec.expected_names(), set(stems)
        report.missing_names = sorted(expected - found)
        report.extra_names = sorted(found - expected)
    if raise_on_error and not report.ok:
        raise CorpusVerificationError(
            report.summary() + f"\nthe copy at {scan.root} is incomplete or altered: fetch it "
            f"again (`serlib data fetch {spec.id} --force`) or re-copy it from the original")
    return report
