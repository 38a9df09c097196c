"""The admin audit log page and its CSV export: admins only, filters, paging, escaping."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import AuditLog
from surveyapp.services import audit


def add(action: str, username: str | None = None, at: datetime | None = None, **kw) -> None:
    entry = audit.record(action, username=username, commit=False, **kw)
    if at is not None:
        entry.at = at
    db.session.commit()


def as_admin(make_user, login, name: str = "boss") -> None:
    make_user("admin", name)
    login(name)


def test_only_admins(client, make_user, login):
    assert client.get("/admin/audit").status_code == 302
    assert client.get("/admin/audit.csv").status_code == 302
    for role in ("viewer", "auditor"):
        make_user(role, f"{role}-x")
        login(f"{role}-x")
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
        client.post("/logout")


def test_lists_sign_ins_newest_first(client, make_user, login):
    as_admin(make_user, login)
    client.post("/logout")
    client.post("/login", data={"username": "boss", "password": "wrong-password"})
    login("boss")
    html = client.get("/admin/audit").get_data(as_text=True)
    # newest first: the successful sign-in, then the failure, then the first sign-in
    assert html.index(">登录</td>") < html.index(">登录失败</td>")
    assert "127.0.0.1" in html and "审计日志" in html


def test_filters(client, make_user, login):
    as_admin(make_user, login)
    add("campaign.create", "li", at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC), target="campaign:7")
    add("campaign.status", "li", at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    add("login.failed", "wang", at=datetime(2026, 3, 5, 17, 0, tzinfo=UTC))  # 3-6 01:00 Beijing
    html = client.get("/admin/audit?user=li").get_data(as_text=True)
    assert ">评价项目 7</td>" in html and ">wang</td>" not in html
    html = client.get("/admin/audit?action=campaign").get_data(as_text=True)
    assert ">新建评价项目</td>" in html and ">更改评价项目状态</td>" in html
    assert ">登录失败</td>" not in html
    html = client.get("/admin/audit?start=2026-03-06&end=2026-03-06").get_data(as_text=True)
    assert ">登录失败</td>" in html and ">更改评价项目状态</td>" not in html
    assert "共 1 条" in html


def test_bad_filter_is_ignored_not_an_error(client, make_user, login):
    as_admin(make_user, login)
    resp = client.get("/admin/audit?start=yesterday&page=-3")
    assert resp.status_code == 200
    assert "已忽略" in resp.get_data(as_text=True)


def test_pagination_keeps_filters(client, make_user, login):
    as_admin(make_user, login)
    for i in range(120):
        add("link.revoke", "li", target=f"link:{i}")
    html = client.get("/admin/audit?action=link.revoke").get_data(as_text=True)
    assert "第 1 / 3 页" in html and "链接 119<" in html and "链接 69<" not in html
    assert "page=2" in html and "action=link.revoke" in html
    html = client.get("/admin/audit?action=link.revoke&page=3").get_data(as_text=True)
    assert "链接 0<" in html and "下一页" not in html


def test_values_are_escaped(client, make_user, login):
    as_admin(make_user, login)
    add("login.failed", "<script>alert(1)</script>", detail={"x": "<img src=x onerror=1>"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_csv_export(client, make_user, login):
    as_admin(make_user, login)
    add("user.create", '=HYPERLINK("http://evil")', detail={"role": "审查员"})
    add("login", "zhang")
    resp = client.get("/admin/audit.csv?action=user.create")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == [
        "id",
        "at",
        "username",
        "user_id",
        "action",
        "target",
        "campaign_id",
        "ip",
        "detail",
    ]
    names = [r[2] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in names and "zhang" not in names
    assert any("审查员" in r[8] for r in rows[1:])
    exported = db.session.scalar(select(AuditLog).where(AuditLog.action == "audit.export"))
    assert exported.username == "boss" and exported.detail == {"filters": {"action": "user.create"}}


def test_english(client, make_user, login):
    as_admin(make_user, login)
    html = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Audit log" in html and "Export CSV" in html


def test_entries_read_as_words_with_old_and_new_values(client, make_user, login, make_campaign):
    as_admin(make_user, login)
    c = make_campaign()
    from surveyapp.services import campaigns as campaign_service

    campaign_service.update_outlet(c.outlets[0], {"name": "朝阳旗舰店"})
    campaign_service.change_status(c, "closed")
    add(
        "response.exclude",
        "li",
        target="response:9",
        detail={"campaign_id": c.id, "reason": "同一手机号重复提交，经核实为同一顾客"},
    )
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "修改服务网点" in html and "<del>朝阳服务中心</del> → <ins>朝阳旗舰店</ins>" in html
    assert "<del>收集中</del> → <ins>已截止</ins>" in html
    assert "同一手机号重复提交，经核实为同一顾客" in html  # Chinese as Chinese, not \\u540c
    assert "\\u" not in html and ">response.exclude</td>" not in html
    assert f"评价项目 {c.id}（{c.title}）" in html
    assert 'tabindex="0" role="region"' in html  # the wide table scrolls by keyboard too
    # filtered by campaign: entries about its outlet and its responses come with it
    only = client.get(f"/admin/audit?campaign={c.id}").get_data(as_text=True)
    assert "修改服务网点" in only and "剔除答卷" in only and ">登录</td>" not in only


def test_assignments_grants_and_refusals_read_as_names(client, make_user, login, make_campaign):
    from surveyapp.services import accounts
    from surveyapp.services import campaigns as campaign_service

    as_admin(make_user, login)
    li, _t = make_user("auditor", "li.names")
    li.display_name = "李审查"
    db.session.commit()
    c = make_campaign()
    campaign_service.set_auditors(c, [li])
    viewer, _t = make_user("viewer", "wang.names", sees_all=False)
    accounts.grant(viewer, c.id)
    accounts.authenticate("ghost.names", "x" * 9, "203.0.113.5")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<del>（无）</del> → <ins>li.names</ins>" in html
    assert "wang.names" in html.split(">授权评价项目</td>")[1].split("</tr>")[0]
    assert "没有这个用户" in html and "unknown user" not in html
