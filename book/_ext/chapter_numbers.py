"""Sphinx extension: a chapter's number is the number in its file name.

``book/06_cross_lingual_gap.md`` is chapter 6 of the roadmap, whatever the chapters before
it in ``_toc.yml`` (some may not be written yet). Sphinx numbers the chapters of numbered
parts one after the other (sphinx-multitoc-numbering, continuous across parts); this
extension then renumbers every chapter whose file name starts with ``NN_`` to ``NN``, with
its sections (6.1, 6.2, ...), in the sidebar, the page titles and in everything numbered by
section (figures, tables, sphinx-exercise's "Exercise 6.2"). Chapters without a number in
their name (``intro``) keep the number Sphinx gave them.
"""

from __future__ import annotations

import re

from sphinx import addnodes
from sphinx.environment.collectors.toctree import TocTreeCollector
from sphinx.util import logging

logger = logging.getLogger(__name__)
_NUMBERED = re.compile(r"(?:^|/)(\d{1,3})_[^/]*$")


def _renumber(app, env) -> list[str]:
    mapping: dict[int, int] = {}
    for docname, secnums in env.toc_secnumbers.items():
        match = _NUMBERED.search(docname)
        own = secnums.get("")
        if match and own and len(own) == 1:
            mapping[own[0]] = int(match.group(1))
    if not mapping or all(old == new for old, new in mapping.items()):
        return []
    taken = {number for secnums in env.toc_secnumbers.values()
             for number in [v[0] for v in secnums.values() if v and len(v) == 1]
             if number not in mapping}
    clash = taken & set(mapping.values())
    if clash or len(set(mapping.values())) != len(mapping):
        logger.warning("chapter_numbers: file-name numbers %s collide with other chapters' "
                       "numbers; keeping Sphinx's numbering", sorted(clash) or mapping,
                       type="chapter_numbers")
        return []

    def renumber(number):
        if number and number[0] in mapping:
            return (mapping[number[0]], *number[1:])
        return number

    changed = []
    for docname, secnums in env.toc_secnumbers.items():
        new = {anchor: renumber(number) for anchor, number in secnums.items()}
        if new != secnums:
            env.toc_secnumbers[docname] = new
            changed.append(docname)
    for toc in env.tocs.values():  # the sidebar reads the numbers stored on the toc nodes
        for node in toc.findall(addnodes.compact_paragraph):
            for ref in node.findall():
                if hasattr(ref, "get") and ref.get("secnumber"):
                    ref["secnumber"] = list(renumber(tuple(ref["secnumber"])))
    for title in env.titles.values():
        if title.get("secnumber"):
            title["secnumber"] = list(renumber(tuple(title["secnumber"])))
    # figures, tables and exercises are numbered from the section numbers: redo them
    changed += TocTreeCollector().assign_figure_numbers(env)
    return sorted(set(changed))


def setup(app):
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
