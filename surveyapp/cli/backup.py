"""Data lifecycle commands: backup, restore, and the purge of personal data after retention."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..services import backup, privacy
from . import refusals


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@refusals
def backup_command(path: str):
    """Write a consistent online copy of the database to PATH (SQLite file or pg_dump archive)."""
    result = backup.backup(path)
    click.echo(f"backup written: {result.path} ({result.size} bytes, {result.dialect})")
    click.echo(
        f"ledger in the backup: {result.ledger_entries} entries, heads digest: {result.heads_digest}"
    )
    click.echo(
        "note: the contact key (instance/contact.key or FLASK_CONTACT_KEY) is not in the backup;"
        " keep a copy of it elsewhere",
        err=True,
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
@with_appcontext
@refusals
def restore_command(path: str, force: bool):
    """Load a backup made by `backup` into the configured database (stop the server first)."""
    result = backup.restore(path, force=force)
    click.echo(f"restored {result.path} into the {result.dialect} database")
    click.echo(
        f"ledger: {result.ledger_entries} entries, heads digest: {result.heads_digest};"
        " run verify-ledger next"
    )


@click.command("purge-personal-data")
@click.argument("campaign_id", type=int)
@with_appcontext
@refusals
def purge_command(campaign_id: int):
    """Erase comments and contacts of a campaign's responses once its retention period is over."""
    result = privacy.purge_campaign(campaign_id)
    click.echo(f"campaign {campaign_id}: personal data purged from {result.responses} responses")


def init_app(app) -> None:
    for cmd in (backup_command, restore_command, purge_command):
        app.cli.add_command(cmd)
