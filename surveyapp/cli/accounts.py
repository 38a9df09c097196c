"""Database and account commands: init-db, create-user, demo."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..models import ROLES
from ..services import accounts, setup
from . import refusals


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the schema to the latest migration (idempotent)."""
    setup.upgrade_schema()
    click.echo(f"database ready: {setup.describe_database()}")


@click.command("create-user")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin, auditor or viewer")
@click.option("--password", default=None, help="at least 8 characters; generated if omitted")
@with_appcontext
@refusals
def create_user_command(name: str, role: str, password: str | None):
    """Create a user and print an API token for it (the password goes to stderr if generated)."""
    _user, pw, token = accounts.create_user(name, role, password)
    if password is None:
        click.echo(f"generated password for {name}: {pw}", err=True)
    click.echo(token)


@click.command("deactivate-user")
@click.argument("name")
@with_appcontext
@refusals
def deactivate_user_command(name: str):
    """Stop a user: no sign-in, every token and session ends at once; the row stays."""
    user = accounts.deactivate_user(name)
    click.echo(f"deactivated {user.username} (user {user.id}); their tokens are revoked")


@click.command("grant")
@click.argument("name")
@click.option("--campaign", "campaign_id", type=int, default=None, help="a campaign id")
@click.option("--all", "every", is_flag=True, help="a viewer may read every campaign")
@with_appcontext
@refusals
def grant_command(name: str, campaign_id: int | None, every: bool):
    """Give an auditor or viewer access to a campaign (--campaign ID), or a viewer all (--all)."""
    if (campaign_id is None) == (not every):
        raise click.UsageError("give either --campaign ID or --all")
    click.echo(accounts.grant(name, campaign_id, every))


@click.command("demo")
@click.option("--responses", default=300, show_default=True, help="synthetic responses to load")
@with_appcontext
def demo_command(responses: int):
    """Load the demo (users, organization, campaign, responses) once; print the demo sign-in."""
    login = setup.ensure_demo(current_app.instance_path, responses=responses)
    click.echo(login)


def init_app(app) -> None:
    for cmd in (
        init_db_command,
        create_user_command,
        deactivate_user_command,
        grant_command,
        demo_command,
    ):
        app.cli.add_command(cmd)
