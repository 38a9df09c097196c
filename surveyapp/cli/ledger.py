"""Ledger command: verify-ledger walks the hash chain and compares it with the live rows."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from ..services import ledger


def _anchor(_ctx, _param, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    entry, sep, digest = value.partition(":")
    if not sep or not entry.isdigit() or len(digest) != 64:
        raise click.BadParameter("use ENTRY_ID:HASH as printed by an earlier verify-ledger")
    return int(entry), digest.lower()


@click.command("verify-ledger")
@click.option(
    "--anchor",
    callback=_anchor,
    metavar="ENTRY_ID:HASH",
    help="a head printed by an earlier run; fails if that entry's hash has changed since",
)
@click.option("--batch", default=5000, show_default=True, help="rows fetched per round trip")
@with_appcontext
def verify_ledger_command(anchor: tuple[int, str] | None, batch: int):
    """Check the tamper-evident chain against the stored rows; exit 1 at the first mismatch."""
    started = time.perf_counter()
    report = ledger.verify_report(batch=batch, anchor=anchor)
    elapsed = time.perf_counter() - started
    if report.mismatch is not None:
        click.echo(f"ledger MISMATCH: {report.mismatch}", err=True)
        click.echo(
            f"checked {report.entries} entries and {report.rows} rows before the mismatch",
            err=True,
        )
        sys.exit(1)
    click.echo(f"ledger intact: {report.entries} entries, {report.rows} rows checked")
    click.echo(f"head: {report.head_entry_id}:{report.head_hash}  ({elapsed:.1f} s)")


def init_app(app) -> None:
    app.cli.add_command(verify_ledger_command)
