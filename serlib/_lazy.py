"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists its public names with the module that defines each; a name is imported on
first use. ``import serlib.experiments`` then costs nothing until a name is used, so the
``serlib`` command can print its help or plan a grid without importing torch.

Chapter: book/intro.md
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str],
                 namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``exports`` on first use.

    Args:
        package: the package's ``__name__``.
        exports: public name -> the module that defines it.
        namespace: the package's ``globals()`` (a loaded name is stored there).

    Example:
        >>> __getattr__, __dir__ = lazy_exports(__name__, {"fit": "serlib.train.engine"},
        ...                                     globals())  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
