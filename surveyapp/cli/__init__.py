"""Flask CLI commands; each module here exposes init_app(app) to add its commands."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sys

import click

from ..errors import DomainError
from ..messages import sentence


def refusals(command):
    """Turn a DomainError into one line `error: <field>: <sentence>` on stderr and exit 2."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as e:
            where = f"{e.field}: " if e.field else ""
            click.echo(f"error: {where}{sentence(e.code, e.params)}", err=True)
            sys.exit(2)

    return wrapped


def init_app(app) -> None:
    """Register the commands of every module in this package."""
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "init_app"):
            module.init_app(app)
