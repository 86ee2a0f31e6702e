"""Lazy package attributes, so ``import django_sse`` (or a contrib app's
package) works before Django's app registry is ready: settings modules and
``AppConfig`` import them early, and the modules behind the names use models."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, sources: dict[str, list[str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<module>`` on first use
    of one of its names: ``sources`` maps each module to the names it gives."""
    where = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
