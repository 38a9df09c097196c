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
    assert "ledger intact: 0 entries, 0 rows checked" in result.output


def test_stored_responses_verify(app, runner):
    submit(make_campaign(), 3, comment="很好")
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "ledger intact: 3 entries, 3 rows checked" in result.output


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
        text("UPDATE ledger_entries SET content = replace(content, '5', '4') WHERE id = 1")
    )
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "entry 1 (table responses, row 1): content does not match its hash" in result.stderr


def test_anchor_pins_history(app, runner):
    submit(make_campaign(), 2)
    first = run(runner)
    head = first.output.split("head: ")[1].split()[0]
    submit(make_campaign(), 1)
    assert run(runner, "--anchor", head).exit_code == 0
    entry_id = head.split(":")[0]
    bad = run(runner, "--anchor", f"{entry_id}:{'f' * 64}")
    assert bad.exit_code == 1 and "differs from the anchor" in bad.stderr
    gone = run(runner, "--anchor", f"999:{'f' * 64}")
    assert gone.exit_code == 1 and "history truncated" in gone.stderr
    assert run(runner, "--anchor", "nonsense").exit_code == 2


def test_rewritten_chain_without_head_update_is_found(app, runner):
    submit(make_campaign(), 3)
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = 3"))
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "head points at entry 3 but the chain ends at entry 2" in result.stderr


@pytest.mark.parametrize("batch", [1, 2, 5000])
def test_batches_do_not_change_the_outcome(app, runner, batch):
    submit(make_campaign(), 4)
    result = run(runner, "--batch", str(batch))
    assert result.exit_code == 0 and "4 entries, 4 rows" in result.output
    assert ledger.verify(batch)[1] is None
