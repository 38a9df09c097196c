"""Scheme and star-level commands: `flask schemes`, `flask evaluate FILE.json|-` (CONTRACT.md)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import NoReturn

import click

from .. import schemes as scheme_files
from ..scoring import InputError, SchemeError
from ..scoring.numbers import fmt


def _fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` on stderr and exit: 2 for a bad input, 1 for a bad scheme file."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command("schemes")
def schemes_command() -> None:
    """Print one line per scheme: <id> TAB <title> TAB <max points>."""
    try:
        found = scheme_files.list_schemes()
    except SchemeError as e:
        _fail(str(e), 1)
    for scheme in found:
        click.echo(f"{scheme.id}\t{scheme.title}\t{fmt(scheme.max_points)}")


@click.command("evaluate")
@click.argument("source")
def evaluate_command(source: str) -> None:
    """Run the star-level engine on an evaluation input (JSON file, or - for stdin)."""
    try:
        with click.open_file(source, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        _fail(f"input: cannot read {source}: {e.strerror}")
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError:
        _fail("input: not UTF-8 text")
    except json.JSONDecodeError as e:
        _fail(f"input: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})")
    try:
        result = scheme_files.evaluate_input(data)
    except InputError as e:
        _fail(str(e))
    except SchemeError as e:
        _fail(f"scheme file: {e}", 1)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


def init_app(app) -> None:
    """Register the scheme commands on the Flask CLI."""
    app.cli.add_command(schemes_command)
    app.cli.add_command(evaluate_command)
