"""Names of a package imported on first use (PEP 562), so that a command pays only for the modules
it uses (``superkit summarize`` must not import pandas; ``superkit score`` not scipy.stats)."""
from __future__ import annotations

import importlib
from typing import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, list[str]], namespace: dict) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps each submodule to the names it
    gives; a name is imported from its submodule when first asked for, then kept in ``namespace``
    (the package's globals)."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
