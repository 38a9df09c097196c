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
    db.session.execute(text("UPDATE ledger_entries SET content = :c WHERE id = 1"), {"c": '{"a":9}'})
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
