"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists, for each of its modules, the public names it re-exports; a name is
imported on first use. ``import serlib.experiments`` then costs nothing until a name is used, so the
``serlib`` command can print its help or plan a grid without importing torch.

Chapter: book/intro.md
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, modules: Mapping[str, tuple[str, ...]],
                 namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import its names on first use.

    Args:
        package: the package's ``__name__``.
        modules: module -> the public names it defines that the package re-exports.
        namespace: the package's ``globals()`` (a loaded name is stored there, and
            ``_EXPORTS``, name -> module, is set for tests and readers).

    Example:
        >>> __getattr__, __dir__ = lazy_exports(
        ...     __name__, {"serlib.train.engine": ("fit",)}, globals())  # doctest: +SKIP
    """
    exports = {name: module for module, names in modules.items() for name in names}
    namespace["_EXPORTS"] = exports

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
