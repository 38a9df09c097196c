"""What customers write reaches someone: the comments list (page and API), filters, search,
and the review page showing the words next to the answers, in Beijing time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import responses as response_service
from surveyapp.services.responses import Submission
from tests import factories

WORDS = ("师傅很专业，但是等了三天才上门。", "希望回访，电话一直占线。", "100%满意_好评")


@pytest.fixture
def campaign(app, make_user):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    for i, text in enumerate(WORDS):
        sub = Submission(
            answers=factories.full_answers(c, 4), client_id=f"comment-{i:04d}", comment=text
        )
        response_service.submit_online(token, sub)
    sub = Submission(answers=factories.full_answers(c, 5), client_id="no-comment-01")
    response_service.submit_online(token, sub)
    # a fixed time to read back: 2026-11-08 02:30 UTC is 10:30 in Beijing
    first = db.session.scalar(db.select(Response).where(Response.client_id == "comment-0000"))
    first.submitted_at = datetime(2026, 11, 8, 2, 30, tzinfo=UTC)
    db.session.commit()
    return c


def test_the_api_lists_comments_newest_first(client, make_user, campaign):
    _u, token = make_user("viewer", "reader.c")
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/campaigns/{campaign.id}/comments", headers=auth).json
    assert body["total"] == 3 and [c["comment"] for c in body["comments"]][-1] == WORDS[0]
    oldest = body["comments"][-1]
    assert oldest["submitted_at"] == "2026-11-08T10:30:00+08:00"
    assert oldest["outlet"] == "朝阳服务中心" and oldest["channel"] == "online"
    found = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments", query_string={"q": "回访"}, headers=auth
    ).json
    assert [c["comment"] for c in found["comments"]] == [WORDS[1]]
    # % and _ are searched as themselves, not as SQL wildcards
    literal = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments", query_string={"q": "0%满意_"}, headers=auth
    ).json
    assert literal["total"] == 1
    none = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments", query_string={"q": "%"}, headers=auth
    ).json
    assert none["total"] == 1
    other = factories.make_campaign(organization="别家公司")
    foreign = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments",
        query_string={"outlet": other.outlets[0].id},
        headers=auth,
    )
    assert foreign.status_code in (400, 422)
    bad = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments", query_string={"page": "0"}, headers=auth
    )
    assert bad.status_code == 400


def test_a_manager_sees_only_granted_comments(client, make_user, campaign):
    _u, token = make_user("viewer", "manager.c", sees_all=False)
    resp = client.get(
        f"/api/v1/campaigns/{campaign.id}/comments", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code in (403, 404)


def test_the_comments_page_filters_and_searches(client, make_user, login, campaign):
    make_user("auditor", "aud.c")
    make_user("admin", "admin.c")
    login("admin.c")
    html = client.get(f"/campaigns/{campaign.id}/comments").get_data(as_text=True)
    assert all(w in html for w in WORDS) and "共 3 条意见" in html
    assert "2026-11-08 10:30" in html
    html = client.get(f"/campaigns/{campaign.id}/comments?q=上门&channel=online").get_data(
        as_text=True
    )
    assert WORDS[0] in html and WORDS[1] not in html and "全部 3 条" in html
    bad = client.get(f"/campaigns/{campaign.id}/comments?outlet=abc")
    assert bad.status_code == 400 and WORDS[1] in bad.get_data(as_text=True)


def test_the_review_page_shows_words_and_beijing_time(client, make_user, login, campaign):
    from surveyapp.services import review

    first = db.session.scalar(db.select(Response).where(Response.client_id == "comment-0000"))
    admin, _t = make_user("admin", "admin.r")
    review.exclude(first, "测试排除", admin)
    login("admin.r")
    html = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert WORDS[0] in html and "2026-11-08 10:30" in html and " UTC" not in html


def test_comments_by_the_customers_own_dimension_score(client, make_user, login, app):
    """Hand-worked: 时间性 (timeliness) of the default bank has three questions; with the default
    scale 5→100 … 1→20, answers (2, 2, n/a) give (40 + 40) / 2 = 40 → low; (3, 4, 4) give
    (60 + 80 + 80) / 3 = 73.3 → mid; all 5 give 100 → high; a response that marks every
    timeliness question 不适用 has no timeliness score and is in no band."""
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    timely = [
        q.id for q in response_service.questionnaire_for(c).questions if q.dimension == "timeliness"
    ]
    assert len(timely) == 3

    def post(n, text, values):
        answers = {**factories.full_answers(c, 5), **dict(zip(timely, values, strict=True))}
        sub = Submission(answers=answers, client_id=f"dim-{n:05d}", comment=text)
        response_service.submit_online(token, sub)

    post(1, "等了三天才上门", (2, 2, None))
    post(2, "还算及时", (3, 4, 4))
    post(3, "非常准时", (5, 5, 5))
    post(4, "没有经历过上门", (None, None, None))
    _u, api_token = make_user("viewer", "reader.dim")
    auth = {"Authorization": f"Bearer {api_token}"}

    def texts(band, dim="timeliness"):
        query = {k: v for k, v in (("dimension", dim), ("band", band)) if v}
        body = client.get(
            f"/api/v1/campaigns/{c.id}/comments",
            query_string=query,
            headers=auth,
        ).json
        assert body["total"] == len(body["comments"])
        return [x["comment"] for x in body["comments"]]

    assert texts("low") == ["等了三天才上门"]
    assert texts("mid") == ["还算及时"]
    assert texts("high") == ["非常准时"]
    assert sorted(texts("high", "civility")) == sorted(
        ["等了三天才上门", "还算及时", "非常准时", "没有经历过上门"]
    )
    # a dimension alone: those who rated it; a band alone: the response's overall score, here
    # (5·5 + 40)/6 = 94 (of the six dimensions, five all 5), (5·5 + 73.3)/6 = 95.6, 100, 100
    assert len(texts(None)) == 3
    assert len(texts("high", None)) == 4 and texts("low", None) == []
    wrong = client.get(
        f"/api/v1/campaigns/{c.id}/comments", query_string={"band": "worst"}, headers=auth
    )
    assert wrong.status_code in (400, 422)
    make_user("admin", "admin.dim")
    login("admin.dim")
    html = client.get(f"/campaigns/{c.id}/comments?dimension=timeliness&band=low").get_data(
        as_text=True
    )
    assert "等了三天才上门" in html and "非常准时" not in html and "共 1 条意见" in html


def test_the_words_customers_use_most_link_into_the_list(client, make_user, login, app):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    texts = ["上门太慢了", "师傅上门很准时", "电话打不通，上门太慢", "收费贵"]
    for i, text in enumerate(texts):
        sub = Submission(
            answers=factories.full_answers(c, 2 if "慢" in text else 5),
            client_id=f"keyword-{i:04d}",
            comment=text,
        )
        response_service.submit_online(token, sub)
    make_user("admin", "admin.kw")
    login("admin.kw")
    html = client.get(f"/campaigns/{c.id}/comments").get_data(as_text=True)
    chips = re.findall(r'<li><a href="([^"]+)"[^>]*>(\S+) <span class="muted">(\d+)</span>', html)
    words = {w: int(n) for _h, w, n in chips}
    assert words["上门"] == 3 and words["太慢"] == 2
    assert "收费" not in words  # said once: not yet a pattern
    link = next(h for h, w, _n in chips if w == "太慢").replace("&amp;", "&")
    assert "q=" in link
    found = client.get(link).get_data(as_text=True)
    assert "共 2 条意见" in found
    # the low-scoring customers' words: those who answered 不满意 (2 → 40 points)
    low = client.get(f"/campaigns/{c.id}/comments?band=low").get_data(as_text=True)
    assert "低分顾客常说的词" in low and "师傅" not in low.split("kw-title")[1].split("</ul>")[0]
