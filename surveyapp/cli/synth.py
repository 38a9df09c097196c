"""The synth command: a campaign filled with synthetic responses by bulk insert."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..db import db
from ..models import Campaign
from ..services import synth


@click.command("synth")
@click.option("--responses", "n", required=True, type=click.IntRange(min=0), help="how many")
@click.option("--outlets", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--campaign", "campaign_id", default=None, type=int, help="fill this campaign")
@click.option("--seed", default=0, show_default=True, type=int)
@with_appcontext
def synth_command(n: int, outlets: int, campaign_id: int | None, seed: int) -> None:
    """Fill a campaign (new unless --campaign) with N synthetic responses; print its id."""
    if campaign_id is None:
        campaign = synth.create_campaign(outlets)
    else:
        found = db.session.get(Campaign, campaign_id)
        if found is None:
            click.echo(f"error: campaign: no campaign {campaign_id}", err=True)
            sys.exit(2)
        campaign = found
    result = synth.fill(campaign, n, seed)
    click.echo(
        f"synth: {result.responses} responses in {result.seconds:.2f} s "
        f"({result.per_second:,.0f}/s; response insert and commit {result.insert_seconds:.2f} s, "
        f"ledger entries {result.ledger_seconds:.2f} s)",
        err=True,
    )
    click.echo(result.campaign_id)


def init_app(app) -> None:
    """Register the synth command."""
    app.cli.add_command(synth_command)
