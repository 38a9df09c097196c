"""backup / restore: a copy restored into a fresh instance verifies; overwrites are refused."""

from __future__ import annotations

import shutil
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.models import LedgerEntry, Response
from surveyapp.services import campaigns, responses
from tests.conftest import _pg_admin_url, base_config
from tests.integration.test_ledger_cli import all_fives, make_campaign, submit


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Response)),
        db.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.table_name == "responses")
        ),
    )


@pytest.fixture
def fresh(db_backend, tmp_path):
    """Factory of an app on a brand-new, never-migrated database of the same backend."""
    made = []

    def factory():
        if db_backend == "sqlite":
            uri = f"sqlite:///{tmp_path}/fresh-{uuid.uuid4().hex[:6]}.sqlite3"
        else:
            admin = _pg_admin_url()
            name = f"surveyapp_restore_{uuid.uuid4().hex[:10]}"
            eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            made.append((eng, name))
            uri = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
        app = create_app(base_config(uri), instance_path=str(tmp_path / "fresh-instance"))
        made.append(app)
        return app

    yield factory
    for item in made:
        if isinstance(item, tuple):
            eng, name = item
            with eng.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()
        else:
            with item.app_context():
                db.session.remove()
                db.engine.dispose()


def invoke(app, *args):
    """Run a command of that app (the CLI uses whichever app context is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def needs_tools(app):
    if db.engine.dialect.name == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")


def test_backup_restore_into_fresh_instance_verifies(app, runner, fresh, tmp_path):
    needs_tools(app)
    submit(make_campaign(2), 5, comment="好")
    before = counts()
    path = tmp_path / "backup.db"
    out = runner.invoke(args=["backup", str(path)])
    assert out.exit_code == 0, out.output
    assert "backup written" in out.output and path.stat().st_size > 0
    entries = out.output.split("ledger in the backup: ")[1].split()[0]
    digest = out.output.split("heads digest: ")[1].split()[0]
    assert int(entries) > 5  # five responses, the campaign, its organization, outlets, links

    other = fresh()
    result = invoke(other, "restore", str(path))
    assert result.exit_code == 0, result.output
    check = invoke(other, "verify-ledger")
    assert check.exit_code == 0, check.output
    assert f"ledger intact: {entries} entries" in check.output
    assert f"heads digest: {digest}" in check.output
    with other.app_context():
        assert counts() == before


def test_restore_refuses_a_database_with_data(app, runner, fresh, tmp_path):
    needs_tools(app)
    submit(make_campaign(), 2)
    path = tmp_path / "b.db"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    submit(make_campaign(), 1)  # the live database moved on; --force puts the backup back
    forced = runner.invoke(args=["restore", "--force", str(path)])
    assert forced.exit_code == 0, forced.output
    assert counts() == (2, 2)
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_backup_refuses_to_overwrite(app, runner, tmp_path):
    needs_tools(app)
    path = tmp_path / "exists.db"
    path.write_text("keep me")
    out = runner.invoke(args=["backup", str(path)])
    assert out.exit_code == 2 and "exists" in out.stderr
    assert path.read_text() == "keep me"


def test_restore_rejects_a_file_that_is_not_a_backup(app, runner, tmp_path):
    needs_tools(app)
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database" * 100)
    out = runner.invoke(args=["restore", str(path)])
    assert out.exit_code == 2 and out.stderr.startswith("error:")


def test_online_backup_is_consistent_while_writing(make_app, db_backend, fresh, tmp_path):
    """Responses keep arriving during the backup; the copy still verifies."""
    if db_backend != "sqlite":
        pytest.skip("the pg_dump snapshot is exercised above")
    app = make_app()
    with app.app_context():
        campaign = make_campaign()
        token = campaigns.outlet_link(campaign.outlets[0]).token
        answers = all_fives(campaign)
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            while not stop.is_set():
                sub = responses.Submission(answers=answers, client_id=uuid.uuid4().hex)
                written.append(responses.submit_online(token, sub).id)
            db.session.remove()

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        path = tmp_path / "online.db"
        out = invoke(app, "backup", str(path))
    finally:
        stop.set()
        t.join()
    assert out.exit_code == 0, out.output
    other = fresh()
    assert invoke(other, "restore", str(path)).exit_code == 0
    check = invoke(other, "verify-ledger")
    assert check.exit_code == 0, check.output
    with other.app_context():
        n, entries = counts()
    assert 5 <= n <= len(written) and n == entries
