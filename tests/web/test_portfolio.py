"""Campaigns side by side (issue 14): the list with S, level, n and status; an organization's
certification and surveillance campaigns over the years; each reader sees only their own."""

from __future__ import annotations

from surveyapp.db import db
from surveyapp.services import accounts, evaluations, scores
from surveyapp.services import campaigns as campaign_service
from tests.scores_fixtures import add_responses, answers_all, five_star_input, make_campaign


def _org_campaign(org_id: int, day: str, title: str):
    c = campaign_service.create_campaign(
        organization=org_id,
        scheme_id="cqm-2019",
        outlets=["网点1"],
        title=title,
        evaluation_date=day,
    )
    db.session.commit()
    return c


def test_list_and_organization_history(app, client, login, make_user):
    scores.clear_cache()
    admin = make_user("admin", "portfolio.admin")[0]
    first = make_campaign(title="2024 年认证评价")
    first.evaluation_date = first.evaluation_date.replace(year=2024)
    add_responses(first, "online", [answers_all(4)] * 3)  # S 80
    add_responses(first, "in_person", [answers_all(4)] * 3)
    evaluations.put_input(first, five_star_input(), admin)
    evaluations.finalize(first, admin)
    second = _org_campaign(first.organization_id, "2025-10-15", "2025 年监督评价")
    add_responses(second, "online", [answers_all(5)] * 2)  # S online 100, in person none
    stranger = make_campaign(title="别家公司的评价")
    stranger_org = stranger.organization_id
    assert stranger_org != first.organization_id

    login("portfolio.admin")
    html = client.get("/campaigns/").get_data(as_text=True)
    assert "2024 年认证评价" in html and "80.00" in html  # the frozen S of the finalized one
    assert "100.00" in html  # the live S of the one collecting
    page = client.get(f"/campaigns/organizations/{first.organization_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("2024 年认证评价") < text.index("2025 年监督评价")  # oldest first
    assert "+20.00" in text  # S 80 → 100
    assert "别家公司的评价" not in text
    assert "2024年10月15日" in text  # dates as Chinese readers write them
    assert 'id="fig-history"' in text
    assert client.get("/campaigns/organizations/999999").status_code == 404


def test_a_company_manager_sees_only_their_granted_campaigns(app, client, login, make_user):
    scores.clear_cache()
    mine = make_campaign(title="我方评价")
    other = _org_campaign(mine.organization_id, "2025-10-15", "未授权的评价")
    manager = make_user("viewer", "portfolio.manager", sees_all=False)[0]
    accounts.grant(manager, mine.id)
    stranger = make_campaign(title="别家评价")
    login("portfolio.manager")
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "我方评价" in listing and "未授权的评价" not in listing and "别家评价" not in listing
    org = client.get(f"/campaigns/organizations/{mine.organization_id}").get_data(as_text=True)
    assert "我方评价" in org and "未授权的评价" not in org
    # an organization with nothing of theirs does not exist for them
    assert client.get(f"/campaigns/organizations/{stranger.organization_id}").status_code == 404
    assert other.id


def test_the_list_pages(app, client, login, make_user):
    make_user("admin", "portfolio.pager")
    for k in range(3):
        make_campaign(title=f"分页评价 {k}")
    login("portfolio.pager")
    from surveyapp.web import campaigns as pages

    old, pages.CAMPAIGNS_PAGE = pages.CAMPAIGNS_PAGE, 2
    try:
        one = client.get("/campaigns/").get_data(as_text=True)
        two = client.get("/campaigns/?page=2").get_data(as_text=True)
        assert one.count("分页评价") == 2 and two.count("分页评价") == 1
        assert "page=2" in one and "page=1" in two
        assert client.get("/campaigns/?page=abc").status_code == 200  # told, first page shown
    finally:
        pages.CAMPAIGNS_PAGE = old
