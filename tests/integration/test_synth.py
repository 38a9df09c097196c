"""synth: N rows in both channels, packed answers of the questionnaire's length, ledger intact."""

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Campaign, LedgerEntry, Response, SurveyLink
from surveyapp.services import ledger, synth


def test_synth_command_creates_a_campaign_with_n_responses(runner, make_user):
    auditor, _token = make_user("auditor")
    result = runner.invoke(args=["synth", "--responses", "600", "--outlets", "4", "--seed", "3"])
    assert result.exit_code == 0, result.output
    campaign_id = int(result.stdout.strip())
    campaign = db.session.get(Campaign, campaign_id)
    assert len(campaign.outlets) == 4
    rows = db.session.execute(
        select(Response.channel, Response.answers, Response.auditor_id, Response.link_id).where(
            Response.campaign_id == campaign_id
        )
    ).all()
    assert len(rows) == 600
    channels = {r.channel for r in rows}
    assert channels == {"in_person", "online"}
    n_questions = len(campaign.questionnaire["questions"])
    assert all(len(r.answers) == n_questions for r in rows)
    assert all(set(r.answers) <= set("0123456789A-") for r in rows)
    in_person = [r for r in rows if r.channel == "in_person"]
    assert all(r.auditor_id == auditor.id and r.link_id is None for r in in_person)
    assert 0.15 < len(in_person) / 600 < 0.45
    na_share = sum(r.answers.count("-") for r in rows) / (600 * n_questions)
    assert 0.05 < na_share < 0.3
    checked, mismatch = ledger.verify()
    assert mismatch is None and checked >= 600
    assert (
        db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.table_name == "responses")
        )
        == 600
    )


def test_fill_adds_to_an_existing_campaign_and_repeats_no_client_id(app):
    campaign = synth.create_campaign(3)
    synth.fill(campaign, 300, seed=1, chunk=128)
    result = synth.fill(campaign.id, 300, seed=1, chunk=128)
    assert result.responses == 300
    count, distinct = db.session.execute(
        select(func.count(Response.id), func.count(func.distinct(Response.client_id))).where(
            Response.campaign_id == campaign.id, Response.channel == "online"
        )
    ).one()
    assert count == distinct and count > 300
    # a few single-use tokens were answered twice (quality flag "duplicate")
    links = db.session.scalar(
        select(func.count(SurveyLink.id)).where(
            SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(True)
        )
    )
    assert links == 0  # under 2,000 responses no duplicates are planted
    assert ledger.verify()[1] is None


def test_synth_plants_quality_flags(app):
    campaign = synth.create_campaign(5)
    synth.fill(campaign, 4000, seed=2)
    rows = db.session.execute(
        select(Response.link_id, Response.fingerprint, Response.duration_s, Response.answers).where(
            Response.campaign_id == campaign.id
        )
    ).all()
    n_q = len(campaign.questionnaire["questions"])
    fingerprints = [r.fingerprint for r in rows if r.fingerprint]
    assert max(fingerprints.count(f) for f in set(fingerprints)) >= 12  # one bursting device
    assert sum(1 for r in rows if r.duration_s < 3 * n_q) > 40  # speeders
    single_use = set(
        db.session.scalars(
            select(SurveyLink.id).where(
                SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(True)
            )
        )
    )
    assert len(single_use) == 2
    assert sum(1 for r in rows if r.link_id in single_use) == 4  # each answered twice


def test_synth_unknown_campaign_is_an_error(runner):
    result = runner.invoke(args=["synth", "--responses", "5", "--campaign", "999"])
    assert result.exit_code == 2 and "campaign" in result.stderr and result.stdout == ""
