"""Database: SQLAlchemy 2 typed models via Flask-SQLAlchemy, SQLite pragmas, migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

#: constraint names fixed so that migrations are the same on SQLite and PostgreSQL
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC (SQLite has no zones) and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use surveyapp.db.utcnow() or attach a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return on_connect


def init_app(app) -> None:
    """Bind the database and migrations to the app; SQLite gets WAL, FKs and synchronous=FULL."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        opts.setdefault("connect_args", {}).setdefault("timeout", 30)
    else:
        opts.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    db.init_app(app)
    migrations = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "migrations")
    migrate.init_app(app, db, directory=migrations, render_as_batch=True, compare_type=True)
    if uri.startswith("sqlite"):
        sync = app.config.get("SQLITE_SYNCHRONOUS", "FULL")
        if sync not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {sync!r}")
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(sync))


__all__ = ["Base", "Engine", "UTCDateTime", "db", "init_app", "migrate", "utcnow"]
