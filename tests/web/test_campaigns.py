"""Auditor and admin pages: create, edit, outlets, auditors, status, QR codes, batches, interview."""

import csv
import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import AuditLog, Campaign, Response, SurveyLink
from surveyapp.services import campaigns as campaign_service
from tests.factories import form_data, outlet_token


@pytest.fixture
def auditor(make_user, login):
    user, _t = make_user("auditor", "aud-main")
    login("aud-main")
    return user


NEW = {
    "organization_name": "示例电器有限公司",
    "operating_since": "2019-05-01",
    "scheme": "cqm-2019",
    "title": "",
    "evaluation_date": "2026-10-15",
    "opens_on": "",
    "closes_on": "2026-12-31",
    "outlets": "朝阳服务中心\n\n海淀服务中心\n",
    "start_now": "y",
}


def test_auditor_creates_a_campaign(client, auditor):
    page = client.get("/campaigns/new")
    assert page.status_code == 200 and "cqm-2019" in page.get_data(as_text=True)
    resp = client.post("/campaigns/new", data=NEW)
    assert resp.status_code == 303
    c = db.session.scalar(select(Campaign))
    assert resp.headers["Location"].endswith(f"/campaigns/{c.id}")
    assert [o.name for o in c.outlets] == ["朝阳服务中心", "海淀服务中心"]
    assert c.status == "collecting" and c.auditors == [auditor]
    assert c.closes_at is not None and c.closes_at.isoformat().startswith("2026-12-31T16:00")
    assert c.title.startswith("示例电器有限公司 · ")
    html = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "朝阳服务中心" in html and "打印海报" in html and "/s/" in html
    assert (
        db.session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "campaign.create")
        )
        == 1
    )


def test_create_form_errors(client, auditor):
    resp = client.post("/campaigns/new", data={**NEW, "outlets": "", "organization_name": ""})
    assert resp.status_code == 422 and "请至少填写一个服务网点" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_draft_then_start_close_reopen_and_no_second_finalize(client, auditor):
    client.post("/campaigns/new", data={**NEW, "start_now": ""})
    c = db.session.scalar(select(Campaign))
    assert c.status == "draft"
    for s in ("collecting", "closed", "collecting", "closed"):
        assert client.post(f"/campaigns/{c.id}/status", data={"status": s}).status_code == 303
        db.session.refresh(c)
        assert c.status == s
    page = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert 'name="status" value="finalized"' not in page  # 定稿 happens on the evaluation
    client.post(f"/campaigns/{c.id}/status", data={"status": "finalized"})
    db.session.refresh(c)
    assert c.status == "closed"
    c.status = "finalized"  # as finalizing the evaluation leaves it
    db.session.commit()
    client.post(f"/campaigns/{c.id}/status", data={"status": "collecting"})
    db.session.refresh(c)
    assert c.status == "finalized"
    assert client.get(f"/campaigns/{c.id}/edit").status_code == 200
    client.post(f"/campaigns/{c.id}/edit", data={**NEW, "title": "改名"})
    db.session.refresh(c)
    assert c.title != "改名"  # a finalized campaign stays as it was


def test_edit_campaign(client, auditor, make_campaign):
    c = make_campaign(created_by=auditor)
    form = client.get(f"/campaigns/{c.id}/edit").get_data(as_text=True)
    assert "示例电器有限公司" in form
    resp = client.post(
        f"/campaigns/{c.id}/edit", data={**NEW, "title": "2026 年度评价", "opens_on": "2026-10-01"}
    )
    assert resp.status_code == 303
    db.session.refresh(c)
    assert c.title == "2026 年度评价" and c.opens_at.isoformat().startswith("2026-09-30T16:00")


def test_add_outlet_and_rotate_link(client, auditor, make_campaign):
    c = make_campaign(created_by=auditor)
    client.post(f"/campaigns/{c.id}/outlets", data={"name": "通州服务中心", "address": "通州区"})
    db.session.refresh(c)
    assert [o.name for o in c.outlets][-1] == "通州服务中心"
    old = outlet_token(c)
    client.post(f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/rotate")
    assert client.get(f"/s/{old}").status_code == 410
    assert outlet_token(c) != old and client.get(f"/s/{outlet_token(c)}").status_code == 200


def test_qr_png_decodes_to_the_outlet_url(client, auditor, make_campaign):
    c = make_campaign(created_by=auditor)
    url = f"http://survey.test/s/{outlet_token(c, 1)}"
    resp = client.get(f"/campaigns/{c.id}/outlets/{c.outlets[1].id}/qr.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(resp.data)))]
    assert decoded == [url]
    svg = client.get(f"/campaigns/{c.id}/outlets/{c.outlets[1].id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_public_base_url_is_used_in_codes(make_app, make_user, make_campaign):
    app = make_app(PUBLIC_BASE_URL="https://survey.example.cn/")
    with app.app_context():
        user, _t = make_user("admin", "root-x")
        c = make_campaign()
        client = app.test_client()
        client.post("/login", data={"username": "root-x", "password": "correct-horse"})
        png = client.get(f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/qr.png").data
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
            f"https://survey.example.cn/s/{outlet_token(c)}"
        ]


def test_poster_is_printable_a4_with_a_large_code(client, auditor, make_campaign):
    c = make_campaign(created_by=auditor)
    html = client.get(f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/poster").get_data(as_text=True)
    assert "示例电器有限公司" in html and "朝阳服务中心" in html and "扫一扫" in html
    assert "size:A4" in html and 'src="data:image/svg+xml;base64,' in html
    assert re.search(r"\.code\{width:1[2-9]\dmm", html)  # ≥ 10 cm: readable from a metre away
    assert "<script" not in html


def test_single_use_batch_sheet_and_csv(client, auditor, make_campaign):
    c = make_campaign(created_by=auditor)
    resp = client.post(f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/tokens", data={"count": "3"})
    assert resp.status_code == 303
    sheet = client.get(resp.headers["Location"])
    html = sheet.get_data(as_text=True)
    assert html.count('src="data:image/svg+xml;base64,') == 3
    batch = resp.headers["Location"].rsplit("/", 1)[1]
    csv_resp = client.get(f"/campaigns/{c.id}/batches/{batch}.csv")
    rows = list(csv.DictReader(io.StringIO(csv_resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3 and all(r["url"].startswith("http://survey.test/s/") for r in rows)
    assert len({r["url"] for r in rows}) == 3
    token = rows[0]["url"].rsplit("/", 1)[1]
    assert client.post(f"/s/{token}", data=form_data(c)).status_code == 303
    # the code used again (another phone): kept as a flagged second use, and told so
    again = client.post(f"/s/{token}", data=form_data(c))
    assert again.status_code == 303 and "reused=1" in again.headers["Location"]
    labels = client.post(
        f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/tokens", data={"labels": "WO-1\nWO-2"}
    )
    assert "WO-2" in client.get(labels.headers["Location"]).get_data(as_text=True)
    assert (
        client.post(
            f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/tokens", data={"count": "0"}
        ).status_code
        == 303
    )
    assert (
        db.session.scalar(select(func.count(SurveyLink.id)).where(SurveyLink.single_use.is_(True)))
        == 5
    )
    link = db.session.scalar(select(SurveyLink).where(SurveyLink.label == "WO-1"))
    client.post(f"/campaigns/{c.id}/links/{link.id}/revoke")
    assert client.get(f"/s/{link.token}").status_code == 410


def test_roles_and_assignment(client, make_user, login, make_campaign):
    mine, _t = make_user("auditor", "aud-a")
    make_user("auditor", "aud-b")
    make_user("viewer", "view-v")
    c = make_campaign(auditors=[mine])
    login("aud-b")  # another auditor's campaign
    for url in (
        f"/campaigns/{c.id}",
        f"/campaigns/{c.id}/edit",
        f"/campaigns/{c.id}/outlets/{c.outlets[0].id}/qr.png",
        f"/interview/{c.id}",
        f"/interview/{c.id}/{c.outlets[0].id}",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/campaigns/{c.id}/status", data={"status": "closed"}).status_code == 403
    assert (
        str(c.id) not in client.get("/campaigns/").get_data(as_text=True).split("campaigns/new")[-1]
    )
    client.post("/logout")
    login("view-v")  # viewers read, never write
    page = client.get(f"/campaigns/{c.id}")
    assert page.status_code == 200 and "截止收集" not in page.get_data(as_text=True)
    assert client.get("/campaigns/new").status_code == 403
    assert client.post(f"/campaigns/{c.id}/status", data={"status": "closed"}).status_code == 403
    assert client.post(f"/campaigns/{c.id}/outlets", data={"name": "x"}).status_code == 403
    assert client.get(f"/interview/{c.id}").status_code == 403
    assert client.post(f"/campaigns/{c.id}/auditors", data={"auditor": "1"}).status_code == 403
    client.post("/logout")
    assert client.get(f"/campaigns/{c.id}").status_code == 302  # signed out: to the sign-in page


def test_admin_assigns_auditors(client, make_user, login, make_campaign):
    make_user("admin", "root-a")
    a1, _t = make_user("auditor", "aud-1")
    a2, _t = make_user("auditor", "aud-2")
    viewer, _t = make_user("viewer", "view-1")
    c = make_campaign(auditors=[a1])
    login("root-a")
    assert "aud-2" in client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    client.post(f"/campaigns/{c.id}/auditors", data={"auditor": [str(a2.id)]})
    db.session.refresh(c)
    assert c.auditors == [a2]
    client.post(f"/campaigns/{c.id}/auditors", data={"auditor": [str(viewer.id)]})
    db.session.refresh(c)
    assert c.auditors == [a2]  # a viewer cannot be assigned


def test_home_links_campaigns_and_offers_new(client, auditor, make_campaign):
    c = make_campaign(auditors=[auditor])
    html = client.get("/").get_data(as_text=True)
    assert f'href="/campaigns/{c.id}"' in html and "/campaigns/new" in html


def test_in_person_interview(client, auditor, make_campaign):
    c = make_campaign(auditors=[auditor])
    assert c.title in client.get("/interview/").get_data(as_text=True)
    assert "海淀服务中心" in client.get(f"/interview/{c.id}").get_data(as_text=True)
    url = f"/interview/{c.id}/{c.outlets[1].id}"
    page = client.get(url).get_data(as_text=True)
    started = re.search(r'name="started" value="([^"]+)"', page).group(1)
    resp = client.post(url, data=form_data(c, 4, started=started, client_id="interview-0001"))
    assert resp.status_code == 303 and "done=1" in resp.headers["Location"]
    r = db.session.scalar(select(Response))
    assert (r.channel, r.auditor_id, r.outlet_id, r.link_id) == (
        "in_person",
        auditor.id,
        c.outlets[1].id,
        None,
    )
    assert r.started_at is not None and r.duration_s is not None and r.answers.startswith("4444")
    assert "已保存第" in client.get(resp.headers["Location"]).get_data(as_text=True)
    bad = client.post(url, data=form_data(c, 4, q_fun1="8"))
    assert bad.status_code == 422 and "请选择 1 到 5 之间的一项" in bad.get_data(as_text=True)
    detail = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert re.search(r'<td class="num">1</td>', detail)  # counted
    campaign_service.change_status(c, "closed")
    closed = client.get(url)
    assert closed.status_code == 410 and "已结束" in closed.get_data(as_text=True)


def test_missing_csrf_on_campaign_pages(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user("admin", "root-c")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login", data={"username": "root-c", "password": "correct-horse", "csrf_token": token}
        )
        assert client.post("/campaigns/new", data=NEW).status_code == 400
        assert db.session.scalar(select(func.count(Campaign.id))) == 0


@pytest.mark.parametrize(
    ("lang", "too_long", "dates"),
    [
        ("zh", "字段长度不能超过 200 个字符。", "问卷截止时间须晚于开始时间。"),
        (
            "en",
            "Field cannot be longer than 200 characters.",
            "The survey must close after it opens.",
        ),
    ],
)
def test_form_errors_stand_at_their_field_in_the_page_language(
    client, auditor, lang, too_long, dates
):
    url = "/campaigns/new" + ("?lang=en" if lang == "en" else "")
    resp = client.post(url, data={**NEW, "organization_name": "名" * 201})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and too_long in html
    resp = client.post(url, data={**NEW, "opens_on": "2026-12-31", "closes_on": "2026-12-01"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    # the service's refusal is shown under the closes-on field, not as a banner on top
    closes = html.index('id="closes_on"')
    assert html.index(dates, closes) - closes < 400
    assert 'role="alert"' not in html[: html.index("<form")]
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_outlets_are_renamed_moved_and_audited(client, auditor, make_campaign):
    c = make_campaign(auditors=[auditor])
    o = c.outlets[0]
    resp = client.post(
        f"/campaigns/{c.id}/outlets/{o.id}",
        data={"name": "朝阳旗舰店", "address": "朝阳区建国路 1 号"},
    )
    assert resp.status_code == 303
    db.session.refresh(o)
    assert (o.name, o.address) == ("朝阳旗舰店", "朝阳区建国路 1 号")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "outlet.update")).one()
    assert entry.detail["name"] == ["朝阳服务中心", "朝阳旗舰店"]
    assert entry.detail["address"] == [None, "朝阳区建国路 1 号"]
    empty = client.post(f"/campaigns/{c.id}/outlets/{o.id}", data={"name": " "})
    assert empty.status_code == 303
    db.session.refresh(o)
    assert o.name == "朝阳旗舰店"  # refused, nothing changed
    assert "此项为必填项" in client.get(empty.headers["Location"]).get_data(as_text=True)


def test_a_deactivated_outlet_keeps_its_answers_and_its_links_stop(client, auditor, make_campaign):
    c = make_campaign(auditors=[auditor])
    o = c.outlets[0]
    token = outlet_token(c)
    assert client.post(f"/s/{token}", data=form_data(c, 4)).status_code in (200, 303)
    _batch, singles = campaign_service.issue_single_use(o, 2)
    client.post(f"/campaigns/{c.id}/outlets/{o.id}/active")
    db.session.refresh(o)
    assert not o.active
    assert client.get(f"/s/{token}").status_code == 410  # the poster stops
    assert client.get(f"/s/{singles[0].token}").status_code == 410  # unused codes too
    assert db.session.scalar(select(func.count(Response.id))) == 1  # answers stay
    interview = client.post(f"/interview/{c.id}/{o.id}", data=form_data(c, 4))
    assert interview.status_code in (409, 422) and "已停用" in interview.get_data(as_text=True)
    assert o.name not in client.get(f"/interview/{c.id}").get_data(as_text=True)
    assert "已停用" in client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    # reactivated: a new poster link, the old ones stay stopped
    client.post(f"/campaigns/{c.id}/outlets/{o.id}/active", data={"active": "1"})
    assert client.get(f"/s/{token}").status_code == 410
    assert client.get(f"/s/{outlet_token(c)}").status_code == 200
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("outlet.%")))
    assert list(actions) == ["outlet.deactivate", "outlet.activate"]


def test_outlets_of_another_campaign_cannot_be_touched(client, auditor, make_campaign):
    mine = make_campaign(auditors=[auditor])
    other = make_campaign(organization="别家公司")
    target = other.outlets[0]
    for path, data in (
        (f"/campaigns/{mine.id}/outlets/{target.id}", {"name": "x"}),
        (f"/campaigns/{mine.id}/outlets/{target.id}/active", {}),
        (f"/campaigns/{other.id}/outlets/{target.id}", {"name": "x"}),
    ):
        assert client.post(path, data=data).status_code in (403, 404)
    db.session.refresh(target)
    assert target.active and target.name == "朝阳服务中心"


@pytest.mark.parametrize(
    "lang, title, other",
    [
        ("zh", "CQM 商品售后服务认证评价规范", "CQM Specification"),
        (
            "en",
            "CQM Specification for After-sales Service Certification of Goods",
            "商品售后服务认证评价规范",
        ),
    ],
)
def test_scheme_titles_are_in_the_page_language_without_ids(
    client, auditor, make_campaign, lang, title, other
):
    from flask_babel import refresh

    c = make_campaign(auditors=[auditor], title="朝阳区年度评价")
    q = "?lang=en" if lang == "en" else ""
    refresh()
    form = client.get("/campaigns/new" + q).get_data(as_text=True)
    options = re.findall(r'<option value="cqm-2019"[^>]*>([^<]*)</option>', form)
    assert options == [title]  # the title alone: no internal id beside it
    for page in ("/campaigns/" + q, f"/campaigns/{c.id}{q}", f"/campaigns/{c.id}/dashboard{q}"):
        refresh()
        html = client.get(page).get_data(as_text=True)
        assert title in html and other not in html, page
    refresh()


@pytest.mark.parametrize(
    "organization, title, lang, subtitle",
    [
        # the default title names both in Chinese: nothing repeated, the scheme in English only
        ("示例电器有限公司", None, "zh", ""),
        (
            "示例电器有限公司",
            None,
            "en",
            " · CQM Specification for After-sales Service Certification of Goods",
        ),
        # a title naming a longer company: the organization is still said
        ("华为", "华为终端有限公司 2026 年度评价", "zh", " · 华为 · CQM 商品售后服务认证评价规范"),
    ],
)
def test_the_subtitle_names_what_the_title_does_not(
    client, auditor, make_campaign, organization, title, lang, subtitle
):
    from flask_babel import refresh

    c = make_campaign(auditors=[auditor], organization=organization, title=title)
    q = "?lang=en" if lang == "en" else ""
    for page in (f"/campaigns/{c.id}/dashboard{q}", f"/campaigns/{c.id}/evaluation{q}"):
        refresh()
        html = client.get(page).get_data(as_text=True)
        h1 = re.search(r'<h1>.*?<span class="muted">(.*?)</span></h1>', html, re.S).group(1)
        assert h1 == c.title + subtitle, page
    refresh()
