"""Flask CLI commands; each module here exposes init_app(app) to add its commands."""

from __future__ import annotations

import importlib
import pkgutil


def init_app(app) -> None:
    """Register the commands of every module in this package."""
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "init_app"):
            module.init_app(app)
