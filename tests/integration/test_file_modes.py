"""Files holding customers' answers, contacts or a password are owner-only (0600).

Issue 17: the demo sign-in file (admin password), the database, its WAL and backups were
created world-readable.
"""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.services import backup, setup
from tests.conftest import base_config


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "db" / "private.sqlite3"
    app = create_app(base_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        setup.upgrade_schema()
        yield app, path
        db.session.remove()
        db.engine.dispose()


def test_database_wal_demo_login_and_backup_are_owner_only(sqlite_app, tmp_path):
    app, path = sqlite_app
    with db.engine.begin() as c:
        c.execute(sa.text("CREATE TABLE IF NOT EXISTS probe (x)"))
        c.execute(sa.text("INSERT INTO probe VALUES (1)"))
    assert mode(path) == 0o600
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and mode(wal) & 0o077 == 0
    setup.ensure_demo(app.instance_path, responses=5)
    assert mode(tmp_path / "instance" / "demo-login.txt") == 0o600
    result = backup.backup(tmp_path / "backups" / "copy.sqlite3")
    assert mode(result.path) == 0o600


def test_an_old_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    path.touch()
    path.chmod(0o644)
    app = create_app(base_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    assert mode(path) == 0o600
    with app.app_context():
        db.engine.dispose()
