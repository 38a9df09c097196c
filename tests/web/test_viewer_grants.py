"""Viewers see only what they are granted (DOMAIN.md; CONTRACT December `grant`).

A certified company's manager is a viewer granted their own organization's campaigns; the
certification body's reviewers are viewers granted all.
"""

from __future__ import annotations

from tests.helpers import bearer


def test_a_viewer_sees_only_granted_campaigns(app, client, runner, make_user, make_campaign, login):
    mine, other = make_campaign(organization="甲公司"), make_campaign(organization="乙公司")
    _manager, token = make_user("viewer", username="manager", sees_all=False)
    login("manager")
    assert "甲公司" not in client.get("/campaigns/").get_data(as_text=True)
    assert client.get(f"/campaigns/{mine.id}").status_code == 403
    assert client.get(f"/api/v1/campaigns/{mine.id}", headers=bearer(token)).status_code == 403

    result = runner.invoke(args=["grant", "manager", "--campaign", str(mine.id)])
    assert result.exit_code == 0, result.output
    assert f"may read campaign {mine.id}" in result.stdout
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "甲公司" in listing and "乙公司" not in listing
    assert client.get(f"/campaigns/{mine.id}/dashboard").status_code == 200
    assert client.get(f"/campaigns/{other.id}/dashboard").status_code == 403
    api = client.get(f"/api/v1/campaigns/{mine.id}/scores", headers=bearer(token))
    assert api.status_code == 200
    assert (
        client.get(f"/api/v1/campaigns/{other.id}/scores", headers=bearer(token)).status_code == 403
    )
    # a viewer never writes, granted or not
    assert (
        client.post(
            f"/api/v1/campaigns/{mine.id}/status", json={"status": "closed"}, headers=bearer(token)
        ).status_code
        == 403
    )


def test_grant_all_and_the_refusals(app, client, runner, make_user, make_campaign):
    c = make_campaign()
    _reviewer, token = make_user("viewer", username="reviewer", sees_all=False)
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(token)).status_code == 403
    assert runner.invoke(args=["grant", "reviewer", "--all"]).exit_code == 0
    assert client.get(f"/api/v1/campaigns/{c.id}", headers=bearer(token)).status_code == 200
    make_user("admin", username="boss")
    refused = runner.invoke(args=["grant", "boss", "--all"])
    assert refused.exit_code == 2 and "管理员" in refused.stderr
    assert runner.invoke(args=["grant", "nobody", "--campaign", str(c.id)]).exit_code == 2
    assert runner.invoke(args=["grant", "reviewer"]).exit_code == 2  # neither --campaign nor --all
    assert runner.invoke(args=["grant", "reviewer", "--campaign", "999999"]).exit_code == 2


def test_granting_an_auditor_assigns_the_campaign(app, runner, make_user, make_campaign):
    auditor, _token = make_user("auditor", username="field-auditor")
    c = make_campaign()
    assert auditor not in c.auditors
    assert runner.invoke(args=["grant", "field-auditor", "--campaign", str(c.id)]).exit_code == 0
    assert auditor in c.auditors
    refused = runner.invoke(args=["grant", "field-auditor", "--all"])
    assert refused.exit_code == 2 and "查看者" in refused.stderr
