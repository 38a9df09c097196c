"""The frame of a busy campaign is extended by the responses stored since, not reloaded: the
extended frame equals a full load (meta, answers, wide answers), exclusions are read again
when they changed, and a response with a lower id committed later forces a full load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import accounts, ledger, review, scores
from surveyapp.services.scores import cache, loading
from tests.scores_fixtures import T0, add_responses, answers_all, make_campaign, pack_answers


def same(a, b) -> None:
    pd.testing.assert_frame_equal(
        a.meta.reset_index(drop=True), b.meta.reset_index(drop=True), check_dtype=False
    )
    np.testing.assert_array_equal(a.answers, b.answers)
    assert a.questions == b.questions
    assert a.wide.keys() == b.wide.keys()


def full_loads(monkeypatch) -> list:
    """A list that grows by one each time the cache loads a whole frame."""
    calls: list = []
    real = loading.load_frame
    monkeypatch.setattr(
        "surveyapp.services.scores.cache.load_frame", lambda x: calls.append(1) or real(x)
    )
    return calls


def frame(c):
    return cache.frame_at(c, cache.fingerprint(c))


def test_a_new_response_extends_the_frame(app, monkeypatch):
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    add_responses(c, "in_person", [answers_all(2)] * 2)
    first = frame(c)
    assert len(first) == 5
    add_responses(c, "online", [answers_all(5)])
    calls = full_loads(monkeypatch)
    second = frame(c)
    assert calls == [] and len(second) == 6
    same(second, loading.load_frame(c))
    assert scores.campaign_scores(c)["n"]["online"] == 4


def test_an_exclusion_is_read_again(app):
    c = make_campaign()
    rows = add_responses(c, "online", [answers_all(4)] * 3)
    frame(c)
    admin = accounts.create_user("inc.admin", "admin", "correct-horse")[0]
    review.exclude(rows[1], "测试排除", admin)
    extended = frame(c)
    assert extended.meta["excluded"].tolist() == [False, True, False]
    same(extended, loading.load_frame(c))


def test_a_lower_id_committed_later_forces_a_full_load(app, monkeypatch):
    c = make_campaign()
    rows = add_responses(c, "online", [answers_all(4)] * 3)
    # as if the middle response had committed after the frame was read (PostgreSQL hands out
    # ids before commit): hide it from the first load, then show it again
    elsewhere = make_campaign()
    db.session.execute(
        update(Response).where(Response.id == rows[1].id).values(campaign_id=elsewhere.id)
    )
    db.session.commit()
    first = frame(c)
    assert len(first) == 2
    db.session.execute(update(Response).where(Response.id == rows[1].id).values(campaign_id=c.id))
    db.session.commit()
    add_responses(c, "online", [answers_all(3)])
    calls = full_loads(monkeypatch)
    again = frame(c)
    assert calls == [1] and len(again) == 4
    same(again, loading.load_frame(c))


def test_looking_for_an_earlier_frame_does_not_reorder_the_cache():
    lru = cache._Lru(2)
    lru.put("a", 1, disk=False)
    lru.put("b", 2, disk=False)
    assert lru.get("a") == 1  # a is now the most recently used
    assert [k for k, _v in lru.matching(lambda k: True)] == ["a", "b"]
    lru.put("c", 3, disk=False)  # evicts the least recently used: b, not a
    assert lru.get("a") == 1 and lru.get("b") is cache._MISSING


def test_an_extended_frame_is_kept_in_memory_only(make_app, tmp_path):
    app = make_app(SCORES_DISK_CACHE=True, SCORES_CACHE_DIR=str(tmp_path / "scores-cache"))
    with app.app_context():
        scores.clear_cache(disk=True)
        c = make_campaign()
        add_responses(c, "online", [answers_all(4)] * 3)
        first_fp = cache.fingerprint(c)
        frame(c)
        add_responses(c, "online", [answers_all(5)])
        second_fp = cache.fingerprint(c)
        assert len(frame(c)) == 4
        disk = cache._disk()
        assert (cache.FORMAT, ("frame", first_fp)) in disk  # a full load is shared
        assert (cache.FORMAT, ("frame", second_fp)) not in disk
        # the superseded frame left memory
        assert cache.FRAMES.get(("frame", first_fp)) is not cache._MISSING  # read back from disk
        scores.clear_cache(disk=True)


def test_the_paradata_is_extended_too(app, monkeypatch):
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3, fingerprint="dev-a")
    loading.clear_paradata()
    loading.load_paradata(c)
    add_responses(c, "in_person", [answers_all(2)] * 2, fingerprint="dev-b")
    reads = []
    real = loading._read_paradata
    monkeypatch.setattr(loading, "_read_paradata", lambda *a, **k: reads.append(k) or real(*a, **k))
    extended = loading.load_paradata(c)
    assert reads == [{"after": rows_max(c, 3), "by_campaign": True}]
    loading.clear_paradata()
    pd.testing.assert_frame_equal(extended, loading.load_paradata(c))


def rows_max(c, n: int) -> int:
    """The id of the campaign's n-th response (ids ascend)."""
    from sqlalchemy import select

    ids = db.session.scalars(
        select(Response.id).where(Response.campaign_id == c.id).order_by(Response.id)
    ).all()
    return ids[n - 1]


def test_an_exclusion_renews_only_its_own_campaigns_caches(app, monkeypatch):
    """The fingerprint's exclusion part is the campaign's own: an auditor's exclusion in one
    campaign leaves every other campaign's cached scores and frame as they were."""
    a, b = make_campaign(), make_campaign()
    rows_a = add_responses(a, "online", [answers_all(4)] * 3)
    add_responses(b, "online", [answers_all(3)] * 3)
    before_a, before_b = cache.fingerprint(a), cache.fingerprint(b)
    scores.campaign_scores(b)
    admin = accounts.create_user("own.admin", "admin", "correct-horse")[0]
    review.exclude(rows_a[0], "测试排除", admin)
    assert cache.fingerprint(a) != before_a
    assert cache.fingerprint(b) == before_b
    computed = []
    real = cache.frame_at
    monkeypatch.setattr(cache, "frame_at", lambda *x: computed.append(1) or real(*x))
    scores.campaign_scores(b)  # answered from the cache: nothing read or computed again
    assert computed == []
    review.reinstate(rows_a[0], "恢复", admin)
    assert cache.fingerprint(b) == before_b


def test_a_response_committed_after_a_larger_id_changes_the_fingerprint(app):
    """PostgreSQL hands ids out before commit: a response that commits after one with a larger
    id leaves the campaign's newest id as it was, and must still change the fingerprint (the
    campaign's ledger chain grows with it)."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite commits one writer at a time: ids commit in order")
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)])
    late = Session(db.engine)
    try:
        late.add(
            Response(
                campaign_id=c.id,
                outlet_id=c.outlets[0].id,
                channel="online",
                client_id="committed-late",
                submitted_at=T0,
                answers=pack_answers(answers_all(3)),
                excluded=False,
            )
        )
        late.flush()  # its id (and its ledger entry) taken, not committed
        add_responses(c, "online", [answers_all(5)])  # a larger id, committed first
        before = cache.fingerprint(c)
        late.commit()
    finally:
        late.close()
    after = cache.fingerprint(c)
    assert after != before
    assert len(cache.frame_at(c, after)) == 3
    # sealing moves entries into a batch, the chain's length stays: still warm
    assert ledger.seal() >= 3
    assert cache.fingerprint(c) == after
