"""Ledger commands: verify-ledger, ledger-anchor, ledger-seal (services/ledger.py)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from ..services import anchors, ledger


@click.command("verify-ledger")
@click.option(
    "--anchor",
    "anchor_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="an anchor saved by ledger-anchor; fails if a chain was cut or rewritten since",
)
@click.option("--batch", default=5000, show_default=True, help="rows fetched per round trip")
@with_appcontext
def verify_ledger_command(anchor_file: str | None, batch: int):
    """Check the chains, their entries and every recorded table; exit 1 at the first mismatch."""
    pinned = None
    if anchor_file is not None:
        try:
            pinned = anchors.load(anchor_file)
        except anchors.AnchorError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
    started = time.perf_counter()
    report = ledger.verify_report(batch=batch, anchor=pinned)
    elapsed = time.perf_counter() - started
    if report.mismatch is not None:
        click.echo(f"ledger MISMATCH: {report.mismatch}", err=True)
        click.echo(
            f"checked {report.entries} entries and {report.rows} rows before the mismatch",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"ledger intact: {report.entries} entries in {len(report.heads)} chains"
        f" ({report.batches} sealed batches), {report.rows} rows checked"
    )
    if report.unsealed:
        age = (datetime.now(UTC) - report.oldest_unsealed).total_seconds()
        click.echo(
            f"{report.unsealed} entries not sealed yet (the oldest {age:.1f} s old): covered by"
            " their content hashes and the rows, sealed within LEDGER_SEAL_SECONDS"
        )
        every = float(current_app.config.get("LEDGER_SEAL_SECONDS") or 0)
        if every <= 0 or age > 10 * every + 60:
            click.echo(
                "warning: no sealer seems to be running (no server, or LEDGER_SEAL_SECONDS=0);"
                " run `flask ledger-seal` or `ledger-anchor`",
                err=True,
            )
    if pinned is not None:
        click.echo(f"anchor holds: {len(pinned)} chains as pinned, none cut or rewritten")
    click.echo(f"heads digest: {ledger.heads_digest(report.heads)}  ({elapsed:.1f} s)")


@click.command("ledger-anchor")
@click.option("--campaign", "campaign_id", type=int, help="only this campaign's chain")
@click.option("--output", type=click.Path(dir_okay=False), help="also write the anchor here")
@with_appcontext
def ledger_anchor_command(campaign_id: int | None, output: str | None):
    """Seal what is pending and print a signed JSON anchor of the chain heads."""
    if campaign_id is not None:
        ledger.seal([campaign_id])
        doc = anchors.for_campaign(campaign_id)
    else:
        doc = anchors.take()
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    click.echo(text)


@click.command("ledger-seal")
@with_appcontext
def ledger_seal_command():
    """Seal every pending ledger entry now (the app also does so every LEDGER_SEAL_SECONDS)."""
    click.echo(f"sealed {ledger.seal()} entries")


def init_app(app) -> None:
    app.cli.add_command(verify_ledger_command)
    app.cli.add_command(ledger_anchor_command)
    app.cli.add_command(ledger_seal_command)
