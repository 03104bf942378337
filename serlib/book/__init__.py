"""What a chapter needs from the book's build: glued values and its own measured runtime.

The top layer of serlib: nothing in the library imports it, and it imports nothing of the
library but its typed errors. Everything here also works where the book's tools are not
installed (Google Colab, a plain Jupyter): :func:`glue` then does nothing visible,
:class:`Stopwatch` only needs the standard library.

- :func:`glue` stores a value for the prose (``{glue:text}`name``` in a Markdown cell), so
  that numbers in sentences come from the cell that computed them; ``kind=`` declares the
  value's range (:data:`GLUE_KINDS`: a percentage in [0, 100], a count >= 0, ...), checked;
- :class:`Stopwatch` measures the chapter's own runtime; its last cell prints it;
- :func:`cpu_threads` is the number of CPU threads the build gives this kernel.

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from serlib.book.glue import GLUE_KINDS, glue
from serlib.book.stopwatch import Stopwatch, cpu_threads, format_seconds

__all__ = ["GLUE_KINDS", "Stopwatch", "cpu_threads", "format_seconds", "glue"]
