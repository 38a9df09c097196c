"""Migrations: one head, and upgrading from empty yields exactly the models' schema."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from surveyapp.db import db


def test_single_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_matches_models(app):
    # the test database was built by running every migration from empty
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_upgrade_is_idempotent(app, runner):
    upgrade()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output


def test_sqlite_pragmas(make_app):
    from surveyapp.config import Defaults

    app = make_app(SQLITE_SYNCHRONOUS=Defaults.SQLITE_SYNCHRONOUS)  # the tests run on NORMAL
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas: PostgreSQL has no journal_mode/foreign_keys/synchronous")
        _pragmas()


def _pragmas():
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 4000


@pytest.mark.parametrize("pages", [0, 99, "4000", True, 200_000])
def test_a_wal_checkpoint_setting_out_of_range_is_refused_at_start(make_app, pages, db_backend):
    if db_backend != "sqlite":
        pytest.skip("a SQLite setting")
    with pytest.raises(ValueError, match="SQLITE_WAL_AUTOCHECKPOINT"):
        make_app(SQLITE_WAL_AUTOCHECKPOINT=pages)
