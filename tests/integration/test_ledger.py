"""The ledger: entries append without a lock, seal into Merkle-rooted batches per chain, and
tampering with an entry, a batch or the chain order is found."""

import hashlib

from sqlalchemy import select, text

from surveyapp.db import db
from surveyapp.models import LedgerBatch, LedgerEntry
from surveyapp.services import ledger


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


def test_merkle_root_is_rfc6962():
    """The tree hash as RFC 6962 §2.1 defines it: split at the largest power of two < n."""

    def mth(leaves):
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return _node(mth(leaves[:k]), mth(leaves[k:]))

    assert ledger.merkle_root([]) == hashlib.sha256(b"").hexdigest()
    for n in (1, 2, 3, 5, 6, 7, 8, 9, 13, 64, 100):
        leaves = [_leaf(str(i).encode()) for i in range(n)]
        assert ledger.merkle_root(leaves) == mth(leaves).hex(), n


def test_appends_seal_per_chain_and_verify(app):
    ledger.append("test", "nowhere", 1, {"a": 1}, chain=7)
    ledger.append("test", "nowhere", 2, {"b": "售后"}, chain=7)
    ledger.append("test", "nowhere", 3, {"c": 3}, chain=8)
    db.session.commit()
    report = ledger.verify_report()
    assert (report.entries, report.unsealed, report.batches, report.mismatch) == (3, 3, 0, None)
    assert ledger.seal() == 3
    assert ledger.seal() == 0  # nothing pending: no empty batch
    ledger.append_many("test", "nowhere", [(4, {"d": 4}), (5, {"e": 5})], chain=7)
    ledger.append("test", "nowhere", 6, {"f": 6}, chain=7)
    db.session.commit()
    assert ledger.seal([7]) == 1
    report = ledger.verify_report()
    assert report.mismatch is None and report.entries == 6 and report.unsealed == 0
    assert [(h.chain, h.seq, h.length) for h in report.heads] == [(7, 3, 5), (8, 1, 1)]
    batches = db.session.scalars(
        select(LedgerBatch).where(LedgerBatch.chain == 7).order_by(LedgerBatch.seq)
    ).all()
    assert [b.size for b in batches] == [2, 2, 1]
    assert batches[1].prev_hash == batches[0].batch_hash
    assert batches[2].prev_hash == batches[1].batch_hash


def test_edited_entry_content_detected(app):
    ledger.append("test", "nowhere", 1, {"a": 1})
    ledger.append("test", "nowhere", 2, {"a": 2})
    db.session.commit()
    db.session.execute(
        text("UPDATE ledger_entries SET content = :c WHERE id = 1"), {"c": '{"a":9}'}
    )
    db.session.commit()
    mismatch = ledger.verify()[1]
    assert mismatch.entry_id == 1 and "hash" in mismatch.problem


def test_rehashed_entry_in_a_sealed_batch_breaks_the_root(app):
    ledger.append("test", "nowhere", 1, {"a": 1}, chain=3)
    ledger.append("test", "nowhere", 2, {"a": 2}, chain=3)
    db.session.commit()
    ledger.seal()
    content = '{"a":9}'
    db.session.execute(
        text("UPDATE ledger_entries SET content = :c, content_hash = :h WHERE id = 1"),
        {"c": content, "h": ledger.sha256(content)},
    )
    db.session.commit()
    mismatch = ledger.verify()[1]
    assert mismatch.chain == 3 and "Merkle root" in mismatch.problem
    assert str(mismatch).startswith("chain campaign 3: batch 1")


def test_removed_sealed_entry_detected(app):
    for i in range(3):
        ledger.append("test", "nowhere", i + 1, {"a": i})
    db.session.commit()
    ledger.seal()
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = 2"))
    db.session.commit()
    assert "Merkle root" in ledger.verify()[1].problem


def test_removed_batch_in_the_middle_detected(app):
    for i in range(3):
        ledger.append("test", "nowhere", i + 1, {"a": i})
        db.session.commit()
        ledger.seal()
    db.session.execute(text("DELETE FROM ledger_entries WHERE batch_id = 2"))
    db.session.execute(text("DELETE FROM ledger_batches WHERE id = 2"))
    db.session.commit()
    mismatch = ledger.verify()[1]
    assert mismatch.chain == 0 and "batch 2 is missing" in mismatch.problem


def test_edited_batch_detected(app):
    ledger.append("test", "nowhere", 1, {"a": 1})
    db.session.commit()
    ledger.seal()
    db.session.execute(text("UPDATE ledger_batches SET sealed_at = '2020-01-01T00:00:00+00:00'"))
    db.session.commit()
    assert "batch was edited" in ledger.verify()[1].problem


def test_entry_moved_to_another_chain_detected(app):
    ledger.append("test", "nowhere", 1, {"a": 1}, chain=4)
    db.session.commit()
    ledger.seal()
    db.session.execute(text("UPDATE ledger_entries SET chain = 5"))
    db.session.commit()
    assert "chain differs" in ledger.verify()[1].problem


def test_canonical_json_is_stable():
    assert ledger.canonical_json({"b": 1, "a": "满意"}) == '{"a":"满意","b":1}'


def test_bulk_entries_are_stored_as_single_appends_would_be(app):
    """append_many writes through the driver (executemany / COPY): same columns, same forms,
    sealed as one batch of its chain; later single appends take ids after them."""
    from datetime import UTC, datetime, timedelta

    content = {"b": "售后", "when": datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC), "n": None}
    ledger.append("test", "nowhere", 1, {"a": 1}, chain=2)
    assert ledger.append_many("test", "nowhere", [(2, content), (3, {"c": [1, 2]})], 2) == 2
    db.session.commit()
    db.session.expire_all()
    e2, e3 = db.session.get(LedgerEntry, 2), db.session.get(LedgerEntry, 3)
    assert e2.content == ledger.canonical_json(content) and e2.content_hash == ledger.sha256(
        e2.content
    )
    assert e2.batch_id is not None and e2.batch_id == e3.batch_id and e3.row_id == 3
    assert db.session.get(LedgerEntry, 1).batch_id is None  # the single append waits
    assert e2.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - e2.created_at) < timedelta(minutes=5)
    assert ledger.append("test", "nowhere", 4, {"d": 4}, chain=2).id == 4
    db.session.commit()
    assert ledger.verify() == (4, None)
    ledger.seal()
    assert ledger.verify() == (4, None)


def test_prepared_append_is_append(app):
    entry_id = ledger.append_prepared("test", "nowhere", 2, ledger.prepare({"b": "售后"}), 9)
    db.session.commit()
    e = db.session.get(LedgerEntry, entry_id)
    assert (e.chain, e.batch_id, e.content) == (9, None, ledger.canonical_json({"b": "售后"}))
    assert ledger.verify()[1] is None


def test_a_backlog_is_sealed_in_bounded_batches(app, monkeypatch):
    monkeypatch.setattr(ledger, "SEAL_BATCH", 3)
    for i in range(7):
        ledger.append("test", "nowhere", i + 1, {"a": i}, chain=5)
    db.session.commit()
    assert ledger.seal() == 7
    sizes = db.session.scalars(
        select(LedgerBatch.size).where(LedgerBatch.chain == 5).order_by(LedgerBatch.seq)
    ).all()
    assert sizes == [3, 3, 1]
    assert ledger.verify() == (7, None)
