"""Every edit made behind the application's back to something that decides a level makes
verify-ledger fail, naming table, row and field (issue 15's list), on both databases; a cut
or a full rewrite of a chain fails against an anchor taken before."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from surveyapp.db import db
from surveyapp.models import Campaign, LedgerBatch, LedgerEntry, Response, SurveyLink
from surveyapp.services import accounts, anchors, campaigns, ledger, responses, review


def _answers(campaign) -> dict:
    q = responses.questionnaire_for(campaign)
    return {x.id: {"likert": 5, "nps": 9}[x.kind] for x in q.questions if x.kind != "text"}


def _submit(token: str, campaign, **kw) -> int:
    sub = responses.Submission(answers=_answers(campaign), client_id=uuid.uuid4().hex, **kw)
    return responses.submit_online(token, sub).id


@pytest.fixture
def world(app):
    """A collecting campaign with two outlets, a used single-use link, three responses, an
    auditor granted to it; everything sealed."""
    campaign = campaigns.create_campaign(
        organization={"name": "账本测试", "operating_since": "2020-01-01"},
        scheme_id="cqm-2019",
        outlets=["一店", "二店"],
    )
    auditor, _password, _token = accounts.create_user(
        f"aud-{uuid.uuid4().hex[:6]}", "auditor", "correct-horse"
    )
    accounts.grant(auditor, campaign.id)
    token = campaigns.outlet_link(campaign.outlets[0]).token
    ids = [_submit(token, campaign) for _ in range(3)]
    _batch, [single] = campaigns.issue_single_use(campaign.outlets[1], 1)
    used = _submit(single.token, campaign)
    other = campaigns.create_campaign(
        organization={"name": "另一家", "operating_since": "2020-01-01"},
        scheme_id="cqm-2019",
        outlets=["甲"],
    )
    excluded = review.exclude(db.session.get(Response, ids[2]), "测试排除", auditor)
    db.session.commit()
    ledger.seal()
    assert ledger.verify()[1] is None
    return {
        "exclusion": excluded.id,
        "campaign": campaign.id,
        "other": other.id,
        "responses": ids,
        "used_response": used,
        "link": single.id,
        "outlet": campaign.outlets[1].id,
        "auditor": auditor.id,
    }


def _json(backend: str) -> str:
    return "CAST(:v AS JSON)" if backend == "postgres" else ":v"


def _params(w) -> str:
    params = db.session.get(Campaign, w["campaign"]).survey_params
    params = dict(params, channel_weights={"in_person": 0.9, "online": 0.1})
    return json.dumps(params)


def _questionnaire(w) -> str:
    q = db.session.get(Campaign, w["campaign"]).questionnaire
    questions = [dict(x) for x in q["questions"]]
    questions[0]["text"] = "改过的题目"
    return json.dumps(dict(q, questions=questions), ensure_ascii=False)


#: (what, SQL, parameters from the world, table, row key, field named)
TAMPERINGS = [
    (
        "duration",
        "UPDATE responses SET duration_s = 999 WHERE id = :r",
        lambda w: {"r": w["responses"][0]},
        "responses",
        lambda w: w["responses"][0],
        "duration_s",
    ),
    (
        "fingerprint",
        "UPDATE responses SET fingerprint = :f WHERE id = :r",
        lambda w: {"r": w["responses"][1], "f": "f" * 64},
        "responses",
        lambda w: w["responses"][1],
        "fingerprint",
    ),
    (
        "consent",
        "UPDATE responses SET contact_consent = true WHERE id = :r",
        lambda w: {"r": w["responses"][2]},
        "responses",
        lambda w: w["responses"][2],
        "contact_consent",
    ),
    (
        "survey params",
        "UPDATE campaigns SET survey_params = {json} WHERE id = :c",
        lambda w: {"c": w["campaign"], "v": _params(w)},
        "campaigns",
        lambda w: w["campaign"],
        "survey_params",
    ),
    (
        "questionnaire",
        "UPDATE campaigns SET questionnaire = {json} WHERE id = :c",
        lambda w: {"c": w["campaign"], "v": _questionnaire(w)},
        "campaigns",
        lambda w: w["campaign"],
        "questionnaire_sha256",
    ),
    (
        "questionnaire version beside the questionnaire",
        "UPDATE campaigns SET questionnaire_version = 'another' WHERE id = :c",
        lambda w: {"c": w["campaign"]},
        "campaigns",
        lambda w: w["campaign"],
        "questionnaire_version",
    ),
    (
        "status",
        "UPDATE campaigns SET status = 'draft' WHERE id = :c",
        lambda w: {"c": w["campaign"]},
        "campaigns",
        lambda w: w["campaign"],
        "status",
    ),
    (
        "link reset",
        "UPDATE survey_links SET used_at = NULL WHERE id = :l",
        lambda w: {"l": w["link"]},
        "survey_links",
        lambda w: w["link"],
        "used_at",
    ),
    (
        "role",
        "UPDATE users SET role = 'admin' WHERE id = :u",
        lambda w: {"u": w["auditor"]},
        "users",
        lambda w: w["auditor"],
        "role",
    ),
    (
        "outlet moved",
        "UPDATE outlets SET campaign_id = :o WHERE id = :x",
        lambda w: {"o": w["other"], "x": w["outlet"]},
        "outlets",
        lambda w: w["outlet"],
        "campaign_id",
    ),
    (
        "exclusion reason",
        "UPDATE response_exclusions SET reason = '改过的理由' WHERE id = :x",
        lambda w: {"x": w["exclusion"]},
        "response_exclusions",
        lambda w: w["exclusion"],
        "reason",
    ),
    (
        "exclusion undone",
        "UPDATE response_exclusions SET action = 'reinstate' WHERE id = :x",
        lambda w: {"x": w["exclusion"]},
        "response_exclusions",
        lambda w: w["exclusion"],
        "action",
    ),
    (
        "exclusion moved to another campaign",
        "UPDATE response_exclusions SET campaign_id = :o WHERE id = :x",
        lambda w: {"o": w["other"], "x": w["exclusion"]},
        "response_exclusions",
        lambda w: w["exclusion"],
        "campaign_id",
    ),
    (
        "grant added",
        "INSERT INTO campaign_viewers (campaign_id, user_id) VALUES (:c, :u)",
        lambda w: {"c": w["other"], "u": w["auditor"]},
        "campaigns",
        lambda w: w["other"],
        "viewer_ids",
    ),
]


@pytest.mark.parametrize(
    ("what", "sql", "params", "table", "row", "field"), TAMPERINGS, ids=[t[0] for t in TAMPERINGS]
)
def test_tampering_is_named(world, runner, db_backend, what, sql, params, table, row, field):
    db.session.execute(text(sql.format(json=_json(db_backend))), params(world))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1, result.output
    message = result.stderr
    assert f"(table {table}, row {row(world)})" in message, message
    assert f"{field}: ledger " in message, message
    assert "Traceback" not in message


def test_removed_tail_with_its_rows_still_live_is_named(world, runner):
    """The chain's newest batch and its entries removed (the v1 'head pointer' went with
    them): the rows they vouched for have no entry any more."""
    chain = world["campaign"]
    newest = db.session.scalar(
        select(LedgerBatch.id).where(LedgerBatch.chain == chain).order_by(LedgerBatch.seq.desc())
    )
    db.session.execute(text("DELETE FROM ledger_entries WHERE batch_id = :b"), {"b": newest})
    db.session.execute(text("DELETE FROM ledger_batches WHERE id = :b"), {"b": newest})
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert "live row has no ledger entry" in result.stderr


def _anchor_file(runner, tmp_path) -> str:
    path = tmp_path / "anchor.json"
    result = runner.invoke(args=["ledger-anchor", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["signature"]
    return str(path)


def _reseal(chain: int, from_seq: int = 1) -> None:
    """What a forger with database access does: recompute roots and links of a chain."""
    batches = db.session.scalars(
        select(LedgerBatch).where(LedgerBatch.chain == chain).order_by(LedgerBatch.seq)
    ).all()
    prev, length = ledger.GENESIS, 0
    for b in batches:
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.batch_id == b.id).order_by(LedgerEntry.id)
        ).all()
        leaves = [
            ledger.leaf_hash(e.id, e.chain, e.kind, e.table_name, e.row_id, e.content_hash)
            for e in entries
        ]
        if b.seq >= from_seq:
            b.root, b.size, b.prev_hash = ledger.merkle_root(leaves), len(leaves), prev
            b.length = length + len(leaves)
            b.batch_hash = ledger.batch_hash(
                b.chain, b.seq, prev, b.root, b.size, b.length, b.sealed_at
            )
        prev, length = b.batch_hash, b.length
    db.session.commit()


def test_full_rewrite_passes_alone_and_fails_against_an_anchor(world, runner, tmp_path):
    anchor = _anchor_file(runner, tmp_path)
    victim = world["responses"][0]
    answers = db.session.scalar(text("SELECT answers FROM responses WHERE id = :i"), {"i": victim})
    forged = "1" + answers[1:]
    db.session.execute(
        text("UPDATE responses SET answers = :a WHERE id = :i"), {"a": forged, "i": victim}
    )
    entry = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.table_name == "responses", LedgerEntry.row_id == victim)
        .order_by(LedgerEntry.id.desc())
    ).first()
    content = json.loads(entry.content)
    content["answers"] = forged
    entry.content = ledger.canonical_json(content)
    entry.content_hash = ledger.sha256(entry.content)
    db.session.commit()
    _reseal(world["campaign"])
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0  # consistent on its own
    result = runner.invoke(args=["verify-ledger", "--anchor", anchor])
    assert result.exit_code == 1
    assert f"chain campaign {world['campaign']}" in result.stderr
    assert "rewritten since the anchor" in result.stderr


def test_cut_with_its_rows_fails_against_an_anchor(world, runner, tmp_path):
    """Responses, their entries and their batch removed together: only an anchor shows it."""
    campaign = db.session.get(Campaign, world["campaign"])
    token = campaigns.outlet_link(campaign.outlets[0]).token
    late = [_submit(token, campaign) for _ in range(2)]
    ledger.seal()
    anchor = _anchor_file(runner, tmp_path)
    newest = db.session.scalar(
        select(LedgerBatch.id)
        .where(LedgerBatch.chain == world["campaign"])
        .order_by(LedgerBatch.seq.desc())
    )
    db.session.execute(text("DELETE FROM ledger_entries WHERE batch_id = :b"), {"b": newest})
    db.session.execute(text("DELETE FROM ledger_batches WHERE id = :b"), {"b": newest})
    for rid in late:
        db.session.execute(text("DELETE FROM responses WHERE id = :i"), {"i": rid})
    db.session.commit()
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    result = runner.invoke(args=["verify-ledger", "--anchor", anchor])
    assert result.exit_code == 1
    assert "history was cut since the anchor" in result.stderr


def test_anchor_file_checks(world, runner, tmp_path, app):
    anchor = _anchor_file(runner, tmp_path)
    ok = runner.invoke(args=["verify-ledger", "--anchor", anchor])
    assert ok.exit_code == 0 and "anchor holds" in ok.stdout
    doc = json.loads(Path(anchor).read_text(encoding="utf-8"))
    edited = dict(doc, chains=[dict(c, entries=c["entries"] + 1) for c in doc["chains"]])
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    result = runner.invoke(args=["verify-ledger", "--anchor", str(bad)])
    assert result.exit_code == 2 and "digest" in result.stderr
    resigned = dict(doc, time="2030-01-01T00:00:00+00:00")
    bad.write_text(json.dumps(resigned))
    result = runner.invoke(args=["verify-ledger", "--anchor", str(bad)])
    assert result.exit_code == 2 and "signature does not verify" in result.stderr
    bad.write_text("not json")
    result = runner.invoke(args=["verify-ledger", "--anchor", str(bad)])
    assert result.exit_code == 2 and "cannot read the anchor file" in result.stderr
    app.config["LEDGER_ANCHOR_KEY_FILE"] = str(tmp_path / "other.key")
    result = runner.invoke(args=["verify-ledger", "--anchor", anchor])  # checking makes no key
    assert result.exit_code == 2 and "no anchor key" in result.stderr
    assert not (tmp_path / "other.key").exists()
    assert runner.invoke(args=["ledger-anchor"]).exit_code == 0  # another installation's key
    result = runner.invoke(args=["verify-ledger", "--anchor", anchor])
    assert result.exit_code == 2 and "not by this installation's key" in result.stderr


def test_campaign_anchor_is_signed_and_counts_pending_entries(world):
    campaign = db.session.get(Campaign, world["campaign"])
    _submit(campaigns.outlet_link(campaign.outlets[0]).token, campaign)
    doc = anchors.for_campaign(world["campaign"])
    assert doc["campaign_id"] == world["campaign"] and doc["unsealed"] == 1
    [head] = anchors.check(doc)
    assert head.chain == world["campaign"] and head.length >= 4


def test_link_use_is_recorded_on_the_link(world):
    link = db.session.get(SurveyLink, world["link"])
    recorded = ledger.recorded(db.session.connection(), "survey_links", link.id)
    assert recorded["used_at"] is not None


def test_a_smuggled_grant_stays_visible_after_a_legitimate_one(world, runner, make_user):
    """A later grant records the recorded members plus its own change, never the collection as
    loaded: a viewer inserted behind the app's back is not laundered by the next grant."""
    smuggler, _token = make_user("viewer", sees_all=False)
    db.session.execute(
        text("INSERT INTO campaign_viewers (campaign_id, user_id) VALUES (:c, :u)"),
        {"c": world["campaign"], "u": smuggler.id},
    )
    db.session.commit()
    db.session.expire_all()
    honest, _token = make_user("viewer", sees_all=False)
    accounts.grant(honest, world["campaign"])
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"(table campaigns, row {world['campaign']})" in result.stderr
    assert "viewer_ids: ledger" in result.stderr and str(smuggler.id) in result.stderr


def test_a_campaign_deleted_with_its_whole_chain_is_named(world, runner):
    """Its rows, its entries and its batches all gone: the system chain's register remains."""
    other = world["other"]
    for sql in (
        "DELETE FROM survey_links WHERE campaign_id = :c",
        "DELETE FROM outlets WHERE campaign_id = :c",
        "DELETE FROM campaign_auditors WHERE campaign_id = :c",
        "DELETE FROM campaign_viewers WHERE campaign_id = :c",
        "DELETE FROM campaigns WHERE id = :c",
        "DELETE FROM ledger_entries WHERE chain = :c",
        "DELETE FROM ledger_batches WHERE chain = :c",
    ):
        db.session.execute(text(sql), {"c": other})
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"chain campaign {other} (table chains, row {other})" in result.stderr
    assert "records were deleted" in result.stderr


def test_an_edit_read_and_written_back_by_a_legitimate_write_stays_visible(world, runner):
    """A field edited by SQL, then changed by the app (which read the edited value first):
    the new entry records the change and keeps what was found, so verify still names it."""
    campaign_id = world["campaign"]
    forged = "伪造的标题"
    db.session.execute(
        text("UPDATE campaigns SET title = :t WHERE id = :c"), {"t": forged, "c": campaign_id}
    )
    db.session.commit()
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.title == forged  # the app reads the edited value …
    campaign.title = campaign.title + "（已核对）"  # … and writes a change of it back
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"(table campaigns, row {campaign_id})" in result.stderr
    assert "_found_edited" in result.stderr and forged in result.stderr


def test_ordinary_changes_leave_no_trace_of_editing(world, runner):
    campaign = db.session.get(Campaign, world["campaign"])
    campaign.title = "新标题"
    db.session.commit()
    campaign.title = "又一个标题"
    campaign.status = "closed"
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.stderr


def test_the_report_page_offers_the_anchor_file_that_verify_checks(
    world, runner, client, make_user, login, tmp_path
):
    viewer, _token = make_user("viewer")
    login(viewer.username)
    ledger.seal()
    resp = client.get(f"/campaigns/{world['campaign']}/ledger-anchor.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    doc = resp.get_json()
    assert doc["campaign_id"] == world["campaign"] and doc["signature"]
    path = tmp_path / "kept-with-the-certificate.json"
    path.write_bytes(resp.data)
    ok = runner.invoke(args=["verify-ledger", "--anchor", str(path)])
    assert ok.exit_code == 0, ok.output
    _reseal(world["campaign"])  # a forger's recomputation changes nothing yet …
    db.session.execute(
        text("UPDATE ledger_batches SET sealed_at = '2020-01-01T00:00:00+00:00' WHERE chain = :c"),
        {"c": world["campaign"]},
    )
    db.session.commit()
    _reseal(world["campaign"])  # … a rewritten chain does
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0  # consistent on its own
    bad = runner.invoke(args=["verify-ledger", "--anchor", str(path)])
    assert bad.exit_code == 1 and "rewritten since the anchor" in bad.stderr
