"""Shared fixtures: app/client/runner on SQLite always and on PostgreSQL when reachable.

The SQLite database of each test is a copy of one migrated in the session; the PostgreSQL
database is migrated once per session and truncated after each test.
"""

from __future__ import annotations

import os
import shutil
import uuid

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from werkzeug.routing.rules import Rule

from surveyapp import create_app
from surveyapp.db import db
from tests import factories

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Every test builds its own app, and Werkzeug compiles each of the ~230 routes' URL builders
# from an AST for each one: 50 ms of the 60 ms an app takes, a quarter of `make test`. The
# builder is a plain function of the rule's text, parts and defaults (bound to the rule only
# when called), so the suite compiles it once per distinct rule. Tests only; the app is unchanged.
_compile_builder = Rule._compile_builder
_BUILDERS: dict[tuple, object] = {}


def _cached_builder(self, append_unknown: bool = True):
    key = (
        self.rule,
        self.subdomain,
        self.host,
        tuple(self._trace),
        repr(sorted((self.defaults or {}).items())),
        append_unknown,
    )
    if key not in _BUILDERS:
        _BUILDERS[key] = _compile_builder(self, append_unknown)
    return _BUILDERS[key]


Rule._compile_builder = _cached_builder


class _SharedBytecode(jinja2.BytecodeCache):
    """Every test's app compiles the same templates: a quarter of a web test's time went to
    Jinja's parser and compile(). Compiled code is shared across the apps of one test process,
    keyed (by Jinja) on the template's name and checked against its source; tests only."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _SharedBytecode()


def new_app(config: dict, instance_path: str):
    """create_app for a test, with the shared compiled templates."""
    app = create_app(config, instance_path=instance_path)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


def _pg_admin_url() -> str | None:
    """The PostgreSQL server to test on, or None when none answers (CI sets REQUIRE_POSTGRES)."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
    try:
        eng = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with eng.connect():
            pass
        eng.dispose()
        return url
    except Exception as e:
        if os.environ.get("REQUIRE_POSTGRES"):
            raise RuntimeError(f"PostgreSQL required but not reachable at {url}: {e}") from e
        return None


DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def redis_url() -> str | None:
    """The Redis to test shared rate limits on (database 15, emptied by the tests that use it),
    or None when none answers (CI sets REQUIRE_REDIS)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
        return url
    except redis.RedisError as e:
        if os.environ.get("REQUIRE_REDIS"):
            raise RuntimeError(f"Redis required but not reachable at {url}: {e}") from e
        return None


def base_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SCORES_DISK_CACHE": False,
        # every dashboard current, whatever a machine's speed (a test turns it on to check it)
        "DASHBOARD_STALE_AFTER_SECONDS": None,
        # tests seal when they mean to (ledger.seal); no thread races them
        "LEDGER_SEAL_SECONDS": 0,
        # a test database never outlives a crash: WAL commits without waiting for the disk
        "SQLITE_SYNCHRONOUS": "NORMAL",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # scrypt still, at a test's cost  # tests/integration/test_scores_disk_cache.py turns it on
        "SERVER_NAME": "survey.test",
        "PREFERRED_URL_SCHEME": "http",
    }


def migrate(uri: str, instance_path: str) -> None:
    from surveyapp.services import setup

    app = create_app(base_config(uri), instance_path=instance_path)
    with app.app_context():
        setup.upgrade_schema()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    migrate(f"sqlite:///{path}", str(path.parent))
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    admin = _pg_admin_url()
    if admin is None:
        yield None
        return
    name = f"surveyapp_test_{uuid.uuid4().hex[:10]}"
    eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # a test database never needs to survive a crash of the server: commits need not wait
        # for the disk (an eighth of the PostgreSQL tests' time); nothing else changes
        c.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrate(url, "/tmp")
    yield url
    with eng.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


_SEQUENCES: list[str] = []


def _empty_all(app) -> None:
    """Empty every table and restart every id sequence. DELETE, children first, then setval:
    on tables this small it takes a sixth of TRUNCATE's time, which makes new files for each
    table (a tenth of the PostgreSQL tests' time went there)."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as c:
            if not _SEQUENCES:
                _SEQUENCES.extend(
                    c.execute(
                        sa.text(
                            "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name)"
                            " FROM information_schema.columns WHERE table_schema = 'public'"
                            " AND column_default LIKE 'nextval%'"
                        )
                    ).scalars()
                )
            for table in reversed(db.metadata.sorted_tables):
                c.execute(sa.text(f'DELETE FROM "{table.name}"'))
            for seq in _SEQUENCES:
                c.execute(sa.text("SELECT setval(:s, 1, false)"), {"s": seq})
        db.engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_backend(request) -> str:
    return request.param


@pytest.fixture
def make_app(db_backend, sqlite_template, request, tmp_path):
    """Factory: an app on this test's database, with config overrides."""
    apps = []
    if db_backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(sqlite_template, path)
        uri = f"sqlite:///{path}"
    else:
        uri = request.getfixturevalue("postgres_url")
        if uri is None:
            pytest.skip("PostgreSQL not reachable (set TEST_POSTGRES_URL)")

    def factory(**overrides):
        cfg = base_config(uri)
        cfg.update(overrides)
        app = new_app(cfg, str(tmp_path / "instance"))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if db_backend == "postgres" and apps:
        _empty_all(apps[0])


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Factory: make_user(role, username=None, password=..., sees_all=True) -> (user, token).

    A viewer is a reviewer granted every campaign unless sees_all=False (a certified company's
    manager, who sees only what is granted with accounts.grant).
    """
    from surveyapp.services import accounts

    def factory(
        role: str = "auditor",
        username: str | None = None,
        password: str = "correct-horse",
        sees_all: bool = True,
    ):
        user, _pw, token = accounts.create_user(
            username or f"{role}-{uuid.uuid4().hex[:6]}", role, password
        )
        if role == "viewer" and sees_all:
            accounts.grant(user.username, every=True)
        return user, token

    return factory


@pytest.fixture
def make_campaign(app):
    """Factory: make_campaign(outlets=..., status=..., created_by=..., auditors=...) -> Campaign."""
    return factories.make_campaign


@pytest.fixture
def login(client):
    """login(username, password='correct-horse') signs the test client in."""

    def do(username: str, password: str = "correct-horse"):
        resp = client.post("/login", data={"username": username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    return do


#: the longest tests (10–25 s each), started first so that the workers finish together
#: instead of one of them starting a browser walk when the other has nothing left
LONG_FIRST = ("tests/e2e/", "test_api_fuzz.py", "test_authz_matrix.py::test_matrix")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not any(key in item.nodeid for key in LONG_FIRST))
