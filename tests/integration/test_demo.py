"""The demo of `make run`: loads once, in both channels, with a level the engine computes."""

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Campaign, Response
from surveyapp.services import evaluations, ledger


def test_demo_loads_once_with_a_level(app, runner):
    first = runner.invoke(args=["demo", "--responses", "240"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("demo sign-in: demo-admin / ")
    campaign = db.session.scalar(select(Campaign))
    assert campaign.scheme_id == "cqm-2019" and len(campaign.outlets) == 2
    channels = dict(
        db.session.execute(select(Response.channel, func.count()).group_by(Response.channel)).all()
    )
    assert set(channels) == {"in_person", "online"} and sum(channels.values()) == 240
    result = evaluations.result(campaign)
    assert result["level"] in {
        "none",
        "one_star",
        "two_star",
        "three_star",
        "four_star",
        "five_star",
    }
    assert result["criteria"] and "explanation_zh" in result
    # a second run changes nothing and prints the same sign-in
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and again.output == first.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 1
    checked, mismatch = ledger.verify()
    # 240 responses and the evaluation, beside the campaign, its outlets, links and users
    assert mismatch is None and checked > 241
