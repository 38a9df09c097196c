"""Organizations are protected objects (issue 17): a stranger can neither attach a campaign to
another company's organization, nor read or rename it through that campaign."""

from __future__ import annotations

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import AuditLog, Campaign
from surveyapp.services import campaigns as campaign_service
from tests.helpers import bearer


def body(org_id: int) -> dict:
    return {"organization": {"id": org_id}, "scheme": "cqm-2019", "outlets": [{"name": "新网点"}]}


def test_attaching_another_organization_needs_access(client, make_user, make_campaign):
    theirs = make_campaign(organization="别人的公司")
    org_id = theirs.organization_id
    _stranger, stranger = make_user("auditor", username="stranger")
    before = db.session.scalar(select(func.count(Campaign.id)))
    resp = client.post("/api/v1/campaigns", json=body(org_id), headers=bearer(stranger))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_organization"
    assert "别人的公司" not in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Campaign.id))) == before
    # the organization's own auditor, and an admin, may
    assigned, assigned_token = make_user("auditor", username="insider")
    campaign_service.set_auditors(theirs, [assigned])
    ok = client.post("/api/v1/campaigns", json=body(org_id), headers=bearer(assigned_token))
    assert ok.status_code == 201 and ok.json["organization"]["id"] == org_id
    _admin, admin = make_user("admin")
    assert (
        client.post("/api/v1/campaigns", json=body(org_id), headers=bearer(admin)).status_code
        == 201
    )


def test_an_organization_with_a_finalized_campaign_is_renamed_by_admins_only(
    make_user, make_campaign
):
    auditor, _t = make_user("auditor", username="renamer")
    admin, _t2 = make_user("admin", username="chief")
    first = make_campaign(organization="已认证公司", auditors=[auditor])
    first.status = "finalized"
    db.session.commit()
    second = campaign_service.create_campaign(
        organization=first.organization_id,
        scheme_id="cqm-2019",
        outlets=["网点"],
        created_by=auditor,
    )
    from surveyapp.errors import DomainError

    try:
        campaign_service.update_campaign(second, {"organization_name": "改名公司"}, by=auditor)
    except DomainError as e:
        assert e.code == "organization_frozen"
    else:
        raise AssertionError("renamed by an auditor")
    db.session.refresh(first.organization)
    assert first.organization.name == "已认证公司"
    campaign_service.update_campaign(second, {"organization_name": "改名公司"}, by=admin)
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "campaign.update").order_by(AuditLog.id.desc())
    ).first()
    assert entry.detail["before"] == {"organization_name": "已认证公司"}
    assert entry.detail["after"] == {"organization_name": "改名公司"}
