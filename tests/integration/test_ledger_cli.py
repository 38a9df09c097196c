"""verify-ledger: a clean database passes; an edited answer, a deleted or smuggled row fails."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns, ledger, responses


def all_fives(campaign) -> dict:
    """An answer sheet: 5 to every rating question, 9 to the recommendation question."""
    q = responses.questionnaire_for(campaign)
    return {x.id: {"likert": 5, "nps": 9}[x.kind] for x in q.questions if x.kind != "text"}


def make_campaign(outlets: int = 1):
    """A collecting campaign under cqm-2019 with its outlet links."""
    return campaigns.create_campaign(
        organization={"name": f"Org {uuid.uuid4().hex[:6]}", "operating_since": "2020-01-01"},
        scheme_id="cqm-2019",
        outlets=[f"Outlet {i}" for i in range(outlets)],
    )


def submit(campaign, n: int = 1, **kw) -> list[int]:
    """Submit n online responses through the campaign's first outlet link."""
    token = campaigns.outlet_link(campaign.outlets[0]).token
    ids = []
    for _ in range(n):
        sub = responses.Submission(answers=all_fives(campaign), client_id=uuid.uuid4().hex, **kw)
        ids.append(responses.submit_online(token, sub).id)
    return ids


def run(runner, *args):
    return runner.invoke(args=["verify-ledger", *args])


def test_clean_database_is_intact(app, runner):
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "ledger intact: 0 entries in 0 chains (0 sealed batches), 0 rows checked" in (
        result.output
    )


def test_stored_responses_verify(app, runner):
    submit(make_campaign(), 3, comment="很好")
    result = run(runner)
    assert result.exit_code == 0, result.output
    # the organization, the campaign (and its chain's register entry), its outlet and link,
    # three responses
    assert "ledger intact: 8 entries in 0 chains (0 sealed batches), 7 rows checked" in (
        result.output
    )
    assert "8 entries not sealed yet" in result.output
    ledger.seal()
    result = run(runner)
    assert "ledger intact: 8 entries in 2 chains (2 sealed batches), 7 rows checked" in (
        result.output
    )
    assert "not sealed" not in result.output


def test_edited_answer_is_named(app, runner):
    """The tampering demonstration: one stored answer edited behind the app's back."""
    ids = submit(make_campaign(), 3)
    victim = ids[1]
    before = db.session.scalar(select(Response.answers).where(Response.id == victim))
    after = "1" + before[1:]
    db.session.execute(
        text("UPDATE responses SET answers = :a WHERE id = :i"), {"a": after, "i": victim}
    )
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    msg = result.stderr
    print(msg)  # quoted in the issue note
    entry = db.session.scalar(
        text("SELECT max(id) FROM ledger_entries WHERE table_name = 'responses' AND row_id = :i"),
        {"i": victim},
    )
    assert f"entry {entry} (table responses, row {victim})" in msg
    assert f"answers: ledger '{before}' != live '{after}'" in msg
    assert "ledger intact" not in result.stdout


def test_flipped_exclusion_flag_is_named(app, runner):
    ids = submit(make_campaign(), 2)
    db.session.execute(text("UPDATE responses SET excluded = true WHERE id = :i"), {"i": ids[0]})
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "excluded: ledger False != live True" in result.stderr


def test_deleted_response_is_named(app, runner):
    ids = submit(make_campaign(), 3)
    db.session.execute(text("DELETE FROM responses WHERE id = :i"), {"i": ids[0]})
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert f"row {ids[0]}): recorded row is missing from the table" in result.stderr


def test_smuggled_response_is_named(app, runner):
    campaign = make_campaign()
    [rid] = submit(campaign, 1)
    cols = (
        "campaign_id, outlet_id, link_id, channel, submitted_at, answers, contact_consent, excluded"
    )
    db.session.execute(
        text(f"INSERT INTO responses ({cols}) SELECT {cols} FROM responses WHERE id = :i"),
        {"i": rid},
    )
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert f"row {rid + 1}): live row has no ledger entry" in result.stderr


def test_edited_ledger_entry_is_named(app, runner):
    submit(make_campaign(), 2)
    db.session.execute(
        text(
            "UPDATE ledger_entries SET content = replace(content, '5', '4') WHERE id ="
            " (SELECT min(id) FROM ledger_entries WHERE table_name = 'responses')"
        )
    )
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "(table responses, row 1): content does not match its hash" in result.stderr


def test_old_style_anchor_is_refused_with_a_clear_line(app, runner, tmp_path):
    result = run(runner, "--anchor", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "cannot read the anchor file" in result.stderr


@pytest.mark.parametrize("batch", [1, 2, 5000])
def test_batches_do_not_change_the_outcome(app, runner, batch):
    submit(make_campaign(), 4)
    ledger.seal()
    result = run(runner, "--batch", str(batch))
    assert result.exit_code == 0 and "9 entries in 2 chains (2 sealed batches), 8 rows" in (
        result.output
    )
    assert ledger.verify(batch)[1] is None
