"""questionnaire import/export: the spreadsheet template of docs/questionnaire.md."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..db import db
from ..models import Campaign
from ..services import questionnaire_sheets as sheets
from ..services import questionnaires
from . import refusals

group = AppGroup("questionnaire", help="Import and export questionnaires (XLSX template).")


@group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name", help="what to call it (default: the file name)")
@refusals
def import_command(path: str, name: str | None):
    """Validate FILE.xlsx and store it; prints the new questionnaire id (exit 2 if bad)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        click.echo(f"error: cannot read {path}: {e.strerror}", err=True)
        sys.exit(2)
    try:
        stored = questionnaires.import_xlsx(data, name or Path(path).stem)
    except sheets.SheetError as e:
        click.echo(f"error: {e.line()}", err=True)
        sys.exit(2)
    click.echo(stored.id)


@group.command("export")
@click.argument("source", metavar="ID")
@click.argument("path", type=click.Path(dir_okay=False))
@refusals
def export_command(source: str, path: str):
    """Write the template filled from questionnaire ID (or campaign:ID, or bank:NAME for a
    built-in bank) to FILE.xlsx."""
    kind, _sep, value = source.rpartition(":")
    campaign = bank = ident = None
    if kind == "bank":
        bank = value
    elif kind in ("", "campaign") and value.isdigit():
        if kind == "campaign":
            campaign = db.session.get(Campaign, int(value))
            if campaign is None:
                click.echo(f"error: campaign: no campaign {value}", err=True)
                sys.exit(2)
        else:
            ident = int(value)
    else:
        click.echo("error: ID is a questionnaire id, campaign:ID or bank:NAME", err=True)
        sys.exit(2)
    data = questionnaires.export_xlsx(ident, campaign=campaign, bank=bank)
    Path(path).write_bytes(data)
    click.echo(f"written: {path} ({len(data)} bytes)")


def init_app(app) -> None:
    app.cli.add_command(group)
