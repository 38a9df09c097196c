"""The customer's page /s/<token>: no-JS form POST, errors in Chinese, clear refusal pages."""

import re
from pathlib import Path

from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from tests.factories import form_data, full_answers, outlet_token

ROOT = Path(__file__).resolve().parents[2]
#: page-weight budget of /s/<token>: HTML + CSS + JS, uncompressed, no other requests
PAGE_BUDGET = 60 * 1024


def n_responses():
    return db.session.scalar(select(func.count(Response.id)))


def test_page_is_chinese_first_mobile_and_self_contained(client, make_campaign):
    c = make_campaign()
    resp = client.get(f"/s/{outlet_token(c)}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert "示例电器有限公司" in html and "朝阳服务中心" in html
    assert "非常满意" in html and "不适用" in html and "提交问卷" in html
    for q in c.questionnaire["questions"]:
        assert f'name="q_{q["id"]}"' in html
    assert 'name="csrf_token"' in html and 'name="client_id"' in html and 'name="started"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no external assets
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script (CSP)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_page_weight_budget(client, make_campaign):
    c = make_campaign()
    html = client.get(f"/s/{outlet_token(c)}").data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.rsplit(b"/", 1)[1] for a in assets} == {b"survey.css", b"survey.js"}
    total = len(html)
    for a in assets:
        with client.get(a.decode()) as resp:
            total += len(resp.data)
    assert total <= PAGE_BUDGET, f"/s/<token> weighs {total} bytes > {PAGE_BUDGET}"


def test_english_switch(client, make_campaign):
    c = make_campaign()
    html = client.get(f"/s/{outlet_token(c)}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Very satisfied" in html and "Submit" in html


def test_no_js_submit_stores_and_thanks(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    resp = client.post(
        f"/s/{token}",
        data=form_data(c, q_fun2="na", q_comment="维修很快", client_id="form-0000001"),
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/s/{token}/thanks")
    r = db.session.scalar(select(Response))
    assert r.channel == "online" and r.answers[:3] == "5-5" and r.comment == "维修很快"
    thanks = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "感谢您的评价" in thanks
    # a double tap with the same form lands on thanks without a second response
    again = client.post(f"/s/{token}", data=form_data(c, client_id="form-0000001"))
    assert again.status_code == 303 and n_responses() == 1


def test_errors_shown_next_to_the_question_in_chinese_and_answers_kept(client, make_campaign):
    c = make_campaign()
    data = form_data(c, q_fun1="9")
    del data["q_tim2"]
    resp = client.post(f"/s/{outlet_token(c)}", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'id="q-tim2".*?请选择一项；如不了解，请选“不适用”。', html, re.S)
    assert re.search(r'id="q-fun1".*?请选择 1 到 5 之间的一项', html, re.S)
    assert re.search(r'name="q_eco1" value="5" checked', html)  # other answers kept
    assert n_responses() == 0


def test_contact_needs_consent(client, make_campaign):
    c = make_campaign()
    resp = client.post(f"/s/{outlet_token(c)}", data=form_data(c, contact="13800138000"))
    assert resp.status_code == 422 and "请先勾选同意" in resp.get_data(as_text=True)
    ok = client.post(
        f"/s/{outlet_token(c)}", data=form_data(c, contact="13800138000", contact_consent="1")
    )
    assert ok.status_code == 303
    assert db.session.scalar(select(Response)).contact_consent


def test_bad_token_page(client):
    resp = client.get("/s/not-a-real-token")
    assert resp.status_code == 404 and "链接无效" in resp.get_data(as_text=True)
    assert client.post("/s/not-a-real-token", data={}).status_code == 404
    assert client.get("/s/" + "x" * 300).status_code == 404


def test_closed_and_not_yet_open_pages(client, make_campaign):
    c = make_campaign()
    draft = make_campaign(status="draft")
    token = outlet_token(c)
    html = client.get(f"/s/{outlet_token(draft)}").get_data(as_text=True)
    assert "尚未开始" in html
    campaign_service.change_status(c, "closed")
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 410 and "已结束" in resp.get_data(as_text=True)
    post = client.post(f"/s/{token}", data=form_data(c))
    assert post.status_code == 410 and n_responses() == 0


def test_used_single_use_link_page(client, make_campaign):
    c = make_campaign()
    _b, links = campaign_service.issue_single_use(c.outlets[0], 1, labels=["WO-7"])
    token = links[0].token
    assert client.post(f"/s/{token}", data=form_data(c, client_id="slip-000001")).status_code == 303
    # the phone that answered it goes Back to the code: its own thank-you page again
    back = client.get(f"/s/{token}")
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/s/{token}/thanks")
    page = client.application.test_client().get(f"/s/{token}")  # another phone, later
    assert page.status_code == 409 and "已使用过" in page.get_data(as_text=True)
    # a second phone with the same printed code: its answers are kept (flagged), and it is told so
    other = client.post(f"/s/{token}", data=form_data(c, client_id="slip-000002"))
    assert other.status_code == 303 and "reused=1" in other.headers["Location"]
    assert n_responses() == 2
    told = client.get(other.headers["Location"]).get_data(as_text=True)
    assert "您的回答已保存" in told and "审核人员会核对" in told


def test_revoked_link_page(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    campaign_service.rotate_outlet_link(c.outlets[0])
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 410 and "已停用" in resp.get_data(as_text=True)
    assert client.get(f"/s/{outlet_token(c)}").status_code == 200


def test_missing_csrf_token_refused_and_nothing_stored(make_app, make_campaign):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        c = make_campaign()
        token = outlet_token(c)
        client = app.test_client()
        resp = client.post(f"/s/{token}", data=form_data(c))
        assert resp.status_code == 400 and "安全令牌" in resp.get_data(as_text=True)
        assert n_responses() == 0
        page = client.get(f"/s/{token}").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        started = re.search(r'name="started" value="([^"]+)"', page).group(1)
        ok = client.post(f"/s/{token}", data=form_data(c, csrf_token=csrf, started=started))
        assert ok.status_code == 303
        r = db.session.scalar(select(Response))
        assert r.started_at is not None and r.duration_s is not None


def test_page_rate_limit_is_a_generous_ceiling(make_app, make_campaign):
    app = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_PAGE_PER_ADDRESS="5 per minute")
    with app.app_context():
        c = make_campaign()
        client = app.test_client()
        codes = [client.get(f"/s/{outlet_token(c)}").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        assert "请求过于频繁" in client.get(f"/s/{outlet_token(c)}").get_data(as_text=True)


def test_the_form_is_rate_limited_per_client_id_as_the_api_is(make_app, make_campaign):
    """The per-client limit reads the form's client_id (the API's is read from its JSON):
    one phone resending is limited, other phones on the same address are not."""
    app = make_app(
        RATELIMIT_ENABLED=True,
        SURVEY_RATE_PER_CLIENT="2 per minute",
        SURVEY_RATE_PER_ADDRESS="1000 per minute",
    )
    with app.app_context():
        c = make_campaign()
        token = outlet_token(c)
        client = app.test_client()
        send = lambda cid: client.post(f"/s/{token}", data=form_data(c, client_id=cid))  # noqa: E731
        assert [send("form-same-01").status_code for _ in range(3)] == [303, 303, 429]
        assert [send(f"form-other-{i:02d}").status_code for i in range(5)] == [303] * 5


def test_back_and_send_again_counts_once(client, make_campaign):
    """After the thank-you page, Back shows the form again: sending it again stores nothing new,
    with JavaScript (the API) or without (the form), and the page says so."""
    c = make_campaign()
    token = outlet_token(c)
    first = client.post(f"/s/{token}", data=form_data(c, 4, client_id="phone-one-0001"))
    assert first.status_code == 303
    again = client.get(f"/s/{token}")  # Back: the page is drawn again
    html = again.get_data(as_text=True)
    assert 'value="phone-one-0001"' in html and "这台手机已经提交过本问卷" in html
    assert (
        client.post(f"/s/{token}", data=form_data(c, 2, client_id="phone-one-0001")).status_code
        == 303
    )
    api = client.post(
        f"/api/v1/links/{token}/responses",
        json={"answers": full_answers(c, 3), "client_id": "phone-one-0001"},
    )
    assert api.status_code == 200
    assert db.session.scalar(select(func.count(Response.id))) == 1
    # a shared tablet at the counter serves the next customer on purpose
    fresh = client.get(f"/s/{token}?another=1").get_data(as_text=True)
    assert "phone-one-0001" not in fresh and "这台手机已经提交过本问卷" not in fresh


def test_the_api_remembers_the_phone_too(client, make_campaign):
    c = make_campaign()
    token = outlet_token(c)
    resp = client.post(
        f"/api/v1/links/{token}/responses",
        json={"answers": full_answers(c, 4), "client_id": "phone-two-0002"},
    )
    assert resp.status_code == 201
    assert 'value="phone-two-0002"' in client.get(f"/s/{token}").get_data(as_text=True)
