"""The hash chain: appends link up, tampering with a row or an entry is found."""

from sqlalchemy import text

from surveyapp.db import db
from surveyapp.models import LedgerEntry
from surveyapp.services import ledger


def test_chain_links_and_verifies(app):
    e1 = ledger.append("test", "nowhere", 1, {"a": 1})
    e2 = ledger.append("test", "nowhere", 2, {"b": "售后"})
    ledger.append_many("test", "nowhere", [(3, {"c": 3}), (4, {"d": 4})])
    e5 = ledger.append("test", "nowhere", 5, {"e": 5})
    db.session.commit()
    assert e1.prev_hash == ledger.GENESIS and e2.prev_hash == e1.entry_hash
    assert e5.id == 5
    checked, mismatch = ledger.verify()
    assert (checked, mismatch) == (5, None)


def test_edited_entry_content_detected(app):
    ledger.append("test", "nowhere", 1, {"a": 1})
    ledger.append("test", "nowhere", 2, {"a": 2})
    db.session.commit()
    db.session.execute(
        text("UPDATE ledger_entries SET content = :c WHERE id = 1"), {"c": '{"a":9}'}
    )
    db.session.commit()
    _, mismatch = ledger.verify()
    assert mismatch.entry_id == 1 and "hash" in mismatch.problem


def test_deleted_last_entry_detected(app):
    ledger.append("test", "nowhere", 1, {"a": 1})
    ledger.append("test", "nowhere", 2, {"a": 2})
    db.session.commit()
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = 2"))
    db.session.commit()
    _, mismatch = ledger.verify()
    assert mismatch is not None and "head" in mismatch.problem


def test_canonical_json_is_stable():
    assert ledger.canonical_json({"b": 1, "a": "满意"}) == '{"a":"满意","b":1}'
    assert db is not None and LedgerEntry is not None


def test_bulk_entries_are_stored_as_single_appends_would_be(app):
    """append_many writes through the driver (executemany / COPY): same columns, same forms."""
    from datetime import UTC, datetime, timedelta

    content = {"b": "售后", "when": datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC), "n": None}
    ledger.append("test", "nowhere", 1, {"a": 1})
    assert ledger.append_many("test", "nowhere", [(2, content), (3, {"c": [1, 2]})]) == 2
    db.session.commit()
    db.session.expire_all()
    e2, e3 = db.session.get(LedgerEntry, 2), db.session.get(LedgerEntry, 3)
    assert e2.content == ledger.canonical_json(content) and e2.content_hash == ledger.sha256(
        e2.content
    )
    assert e3.prev_hash == e2.entry_hash and e2.kind == "test" and e3.row_id == 3
    assert e2.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - e2.created_at) < timedelta(minutes=5)
    assert ledger.append("test", "nowhere", 4, {"d": 4}).id == 4  # the sequence moved past them
    db.session.commit()
    assert ledger.verify() == (4, None)
