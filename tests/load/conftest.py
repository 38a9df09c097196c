"""Load and crash tests: a real gunicorn on 127.0.0.1 over a fresh SQLite or PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.services import setup
from tests import factories
from tests.conftest import _pg_admin_url, base_config

from .harness import Server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def load_db(request, tmp_path):
    """(database URL, campaign id, survey token, answers) on a brand-new migrated database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/load.sqlite3"
        drop = None
    else:
        admin = _pg_admin_url()
        if admin is None:
            pytest.skip("PostgreSQL not reachable (set TEST_POSTGRES_URL)")
        name = f"surveyapp_load_{uuid.uuid4().hex[:10]}"
        eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)

        def drop():
            with eng.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()

    app = create_app(base_config(url), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        setup.upgrade_schema()
        campaign = factories.make_campaign(outlets=["负载测试网点"])
        prepared = (
            url,
            campaign.id,
            factories.outlet_token(campaign),
            factories.full_answers(campaign),
        )
        db.session.remove()
        db.engine.dispose()
    yield prepared
    if drop is not None:
        drop()


@pytest.fixture
def server(load_db, tmp_path):
    """A started gunicorn (4 workers) on the prepared database; stopped afterwards."""
    srv = Server(tmp_path, load_db[0])
    srv.start()
    yield srv
    srv.stop()
