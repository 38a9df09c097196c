"""The v1 → v2 ledger migration: a v1 database (one global chain) upgrades to per-campaign
chains that verify; a v1 database edited behind the app's back is refused, naming the row."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from surveyapp.db import db
from surveyapp.services import ledger
from tests.integration.test_backup import fresh  # noqa: F401 (fixture)

V1 = "e1f5a3b7c902"
ANSWERS = "5" * 19 + "9-"


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def _canonical(d: dict) -> str:
    return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _campaign_rows(c, when: datetime) -> None:
    """Organization 1, campaign 1 (collecting) and outlet 1, as raw rows of any version."""
    js = "CAST(:j AS JSON)" if db.engine.dialect.name == "postgresql" else ":j"
    c.execute(
        sa.text("INSERT INTO organizations (id, name, created_at) VALUES (1, '迁移测试', :t)"),
        {"t": when},
    )
    c.execute(
        sa.text(
            "INSERT INTO campaigns (id, organization_id, scheme_id, title, status,"
            f" questionnaire, survey_params, created_at) VALUES (1, 1, 'cqm-2019', 'v1',"
            f" 'collecting', {js}, {js.replace(':j', ':p')}, :t)"
        ),
        {"j": json.dumps({"version": "x", "questions": []}), "p": "{}", "t": when},
    )
    c.execute(
        sa.text(
            "INSERT INTO outlets (id, campaign_id, name, created_at, active)"
            " VALUES (1, 1, '一店', :t, true)"
        ),
        {"t": when},
    )


def _build_v1(app, responses: int = 3) -> list[int]:
    """Rows and a v1 chain written as version 1 wrote them."""
    when = datetime(2026, 11, 1, 10, 0, 0)
    with db.engine.begin() as c:
        _campaign_rows(c, when)
        prev, entry_id, ids = "0" * 64, 0, []
        for i in range(1, responses + 1):
            c.execute(
                sa.text(
                    "INSERT INTO responses (id, campaign_id, outlet_id, channel, client_id,"
                    " submitted_at, answers, contact_consent, contact_share, excluded)"
                    " VALUES (:i, 1, 1, 'online', :cid, :t, :a, false, false, false)"
                ),
                {"i": i, "cid": f"client-{i:04d}", "t": when, "a": ANSWERS},
            )
            content = _canonical(
                {
                    "campaign_id": 1,
                    "outlet_id": 1,
                    "link_id": None,
                    "channel": "online",
                    "client_id": f"client-{i:04d}",
                    "auditor_id": None,
                    "started_at": None,
                    "submitted_at": when.isoformat(timespec="microseconds"),
                    "answers": ANSWERS,
                    "comment_sha256": None,
                    "contact_sha256": None,
                    "excluded": False,
                }
            )
            c_hash = _sha(content)
            e_hash = _sha(f"{prev}|response|responses|{i}|{c_hash}")
            entry_id += 1
            c.execute(
                sa.text(
                    "INSERT INTO ledger_entries (id, kind, table_name, row_id, content,"
                    " content_hash, prev_hash, entry_hash, created_at)"
                    " VALUES (:id, 'response', 'responses', :r, :c, :h, :p, :e, :t)"
                ),
                {
                    "id": entry_id,
                    "r": i,
                    "c": content,
                    "h": c_hash,
                    "p": prev,
                    "e": e_hash,
                    "t": when,
                },
            )
            prev = e_hash
            ids.append(i)
        c.execute(
            sa.text("INSERT INTO ledger_head (id, last_entry_id, last_hash) VALUES (1, :i, :h)"),
            {"i": entry_id, "h": prev},
        )
        if db.engine.dialect.name == "postgresql":
            for table in ("organizations", "campaigns", "outlets", "responses", "ledger_entries"):
                c.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
    return ids


def test_v1_ledger_migrates_and_verifies(fresh):  # noqa: F811
    app = fresh()
    with app.app_context():
        upgrade(revision=V1)
        ids = _build_v1(app)
        upgrade()
        report = ledger.verify_report()
        assert report.mismatch is None, report.mismatch
        assert report.unsealed == 0
        # v1's three entries in batch 1 of campaign 1's chain, then the re-recorded rows
        kinds = db.session.execute(
            sa.text(
                "SELECT e.kind, b.seq FROM ledger_entries e JOIN ledger_batches b"
                " ON b.id = e.batch_id WHERE e.table_name = 'responses' ORDER BY e.id"
            )
        ).all()
        assert kinds[: len(ids)] == [("response", 1)] * len(ids)
        assert [k for k, _seq in kinds[len(ids) :]] == ["migrate"] * len(ids)
        assert all(seq > 1 for _k, seq in kinds[len(ids) :])
        chains = {h.chain for h in report.heads}
        assert chains == {0, 1}  # the organization on the system chain, the rest campaign 1


def test_tampered_v1_database_is_refused(fresh, capfd):  # noqa: F811
    app = fresh()
    with app.app_context():
        upgrade(revision=V1)
        _build_v1(app)
        with db.engine.begin() as c:
            c.execute(
                sa.text("UPDATE responses SET answers = :a WHERE id = 2"), {"a": "1" + ANSWERS[1:]}
            )
        with pytest.raises(SystemExit):  # init-db: one line naming the row, exit 1
            upgrade()
        err = capfd.readouterr().err
        assert "table responses, row 2: live row differs" in err
        assert "answers: ledger" in err
        with db.engine.connect() as c:  # nothing changed: still v1
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == V1
            assert c.execute(sa.text("SELECT count(*) FROM ledger_head")).scalar() == 1


def test_answers_widen_with_exclusions_kept(fresh):  # noqa: F811
    """Migration d5b8f2a4c613 copies the responses table on SQLite: the exclusions that refer
    to responses survive it (foreign keys stay intact, no temporary table left), on both."""
    app = fresh()
    with app.app_context():
        upgrade(revision="a7d2c4e9f115")
        when = datetime(2026, 11, 2, 10, 0, 0)
        with db.engine.begin() as c:
            _campaign_rows(c, when)
            for i in (1, 2):
                c.execute(
                    sa.text(
                        "INSERT INTO responses (id, campaign_id, outlet_id, channel, client_id,"
                        " submitted_at, answers, contact_consent, contact_share, excluded)"
                        " VALUES (:i, 1, 1, 'online', :cid, :t, :a, false, false, :x)"
                    ),
                    {"i": i, "cid": f"client-{i:04d}", "t": when, "a": ANSWERS, "x": i == 1},
                )
            c.execute(
                sa.text(
                    "INSERT INTO users (id, username, password_hash, role, active, created_at)"
                    " VALUES (9, 'mig.admin', 'x', 'admin', true, :t)"
                ),
                {"t": when},
            )
            c.execute(
                sa.text(
                    "INSERT INTO response_exclusions (response_id, action, reason, user_id, at)"
                    " VALUES (1, 'exclude', '测试', 9, :t)"
                ),
                {"t": when},
            )
        upgrade()
        kept = db.session.execute(sa.text("SELECT response_id FROM response_exclusions")).all()
        assert [r[0] for r in kept] == [1]
        rows = db.session.execute(sa.text("SELECT id, answers FROM responses ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, ANSWERS), (2, ANSWERS)]
        tables = sa.inspect(db.engine).get_table_names()
        assert not any(t.startswith("_alembic_tmp") for t in tables)


def test_exclusions_get_their_responses_campaign(fresh):  # noqa: F811
    """Migration b2c6e8a4d017 fills response_exclusions.campaign_id from each response, makes
    it required and indexes (campaign_id, id); the exclusions stay as they were, on both."""
    app = fresh()
    with app.app_context():
        upgrade(revision="d5b8f2a4c613")
        when = datetime(2026, 11, 2, 10, 0, 0)
        js = "CAST(:j AS JSON)" if db.engine.dialect.name == "postgresql" else ":j"
        with db.engine.begin() as c:
            _campaign_rows(c, when)
            c.execute(
                sa.text(
                    "INSERT INTO campaigns (id, organization_id, scheme_id, title, status,"
                    f" questionnaire, survey_params, created_at) VALUES (2, 1, 'cqm-2019', 'v2',"
                    f" 'collecting', {js}, {js.replace(':j', ':p')}, :t)"
                ),
                {"j": json.dumps({"version": "x", "questions": []}), "p": "{}", "t": when},
            )
            c.execute(
                sa.text(
                    "INSERT INTO outlets (id, campaign_id, name, created_at, active)"
                    " VALUES (2, 2, '二店', :t, true)"
                ),
                {"t": when},
            )
            for i, campaign in ((1, 1), (2, 2), (3, 2)):
                c.execute(
                    sa.text(
                        "INSERT INTO responses (id, campaign_id, outlet_id, channel, client_id,"
                        " submitted_at, answers, contact_consent, contact_share, excluded)"
                        " VALUES (:i, :c, :c, 'online', :cid, :t, :a, false, false, true)"
                    ),
                    {"i": i, "c": campaign, "cid": f"client-{i:04d}", "t": when, "a": ANSWERS},
                )
            c.execute(
                sa.text(
                    "INSERT INTO users (id, username, password_hash, role, active, created_at)"
                    " VALUES (9, 'mig.admin', 'x', 'admin', true, :t)"
                ),
                {"t": when},
            )
            for response in (3, 1, 2):
                c.execute(
                    sa.text(
                        "INSERT INTO response_exclusions (response_id, action, reason, user_id,"
                        " at) VALUES (:r, 'exclude', '测试', 9, :t)"
                    ),
                    {"r": response, "t": when},
                )
        upgrade()
        rows = db.session.execute(
            sa.text("SELECT id, response_id, campaign_id FROM response_exclusions ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [(1, 3, 2), (2, 1, 1), (3, 2, 2)]
        inspector = sa.inspect(db.engine)
        column = next(
            c for c in inspector.get_columns("response_exclusions") if c["name"] == "campaign_id"
        )
        assert column["nullable"] is False
        indexes = {
            i["name"]: i["column_names"] for i in inspector.get_indexes("response_exclusions")
        }
        assert indexes["ix_response_exclusions_campaign_id_id"] == ["campaign_id", "id"]
        assert not any(t.startswith("_alembic_tmp") for t in inspector.get_table_names())


def test_an_exclusion_of_no_response_stops_the_upgrade_before_anything_changes(fresh, capfd):  # noqa: F811
    """An exclusion row whose response is gone (written with foreign keys off) cannot be given
    a campaign: the upgrade says which row, and a retry after the repair starts afresh (on
    SQLite nothing was committed; PostgreSQL's migration is one transaction anyway)."""
    app = fresh()
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps its foreign keys on: no such row can exist there")
        upgrade(revision="d5b8f2a4c613")
        when = datetime(2026, 11, 2, 10, 0, 0)
        with db.engine.begin() as c:
            _campaign_rows(c, when)
            c.execute(
                sa.text(
                    "INSERT INTO users (id, username, password_hash, role, active, created_at)"
                    " VALUES (9, 'mig.admin', 'x', 'admin', true, :t)"
                ),
                {"t": when},
            )
        with db.engine.connect() as c:
            c.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction: it holds
            c.execute(
                sa.text(
                    "INSERT INTO response_exclusions (id, response_id, action, reason, user_id,"
                    " at) VALUES (4, 404, 'exclude', '孤立', 9, :t)"
                ),
                {"t": when},
            )
            c.commit()
            c.exec_driver_sql("PRAGMA foreign_keys=ON")
        with pytest.raises(SystemExit):
            upgrade()
        assert "response_exclusions row 4 refers to no response" in capfd.readouterr().err
        db.session.remove()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("response_exclusions")}
        assert "campaign_id" not in columns  # nothing half-done
        with db.engine.begin() as c:
            c.exec_driver_sql("DELETE FROM response_exclusions WHERE id = 4")
        upgrade()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("response_exclusions")}
        assert "campaign_id" in columns


def test_campaigns_get_their_questionnaires_version_beside_it(fresh):  # noqa: F811
    """Migration e4f7b9c2a618 keeps each campaign's questionnaire version in a column (text:
    the string itself, "" for none, else its JSON), on both, as verify-ledger derives it."""
    app = fresh()
    with app.app_context():
        upgrade(revision="c8e4a2f6b913")
        when = datetime(2026, 12, 2, 7, 0, 0)
        js = "CAST(:j AS JSON)" if db.engine.dialect.name == "postgresql" else ":j"
        with db.engine.begin() as c:
            _campaign_rows(c, when)  # campaign 1, version "x"
            for campaign, version in ((2, None), (3, 7), (4, "ab" * 32)):
                c.execute(
                    sa.text(
                        "INSERT INTO campaigns (id, organization_id, scheme_id, title, status,"
                        f" questionnaire, survey_params, created_at) VALUES (:i, 1, 'cqm-2019',"
                        f" 'v', 'draft', {js}, {js.replace(':j', ':p')}, :t)"
                    ),
                    {
                        "i": campaign,
                        "j": json.dumps({"version": version, "questions": []}),
                        "p": "{}",
                        "t": when,
                    },
                )
        upgrade()
        rows = db.session.execute(
            sa.text("SELECT id, questionnaire_version FROM campaigns ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [(1, "x"), (2, ""), (3, "7"), (4, "ab" * 32)]
        with db.engine.connect() as c:
            assert ledger._verify_copies(c) is None
