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
    assert html.index("<td>login</td>") < html.index("<td>login.failed</td>")
    assert "127.0.0.1" in html and "审计日志" in html


def test_filters(client, make_user, login):
    as_admin(make_user, login)
    add("campaign.create", "li", at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC), target="campaign:7")
    add("campaign.status", "li", at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    add("login.failed", "wang", at=datetime(2026, 3, 5, 17, 0, tzinfo=UTC))  # 3-6 01:00 Beijing
    html = client.get("/admin/audit?user=li").get_data(as_text=True)
    assert "campaign:7" in html and "wang" not in html
    html = client.get("/admin/audit?action=campaign").get_data(as_text=True)
    assert "<td>campaign.create</td>" in html and "<td>campaign.status</td>" in html
    assert "<td>login.failed</td>" not in html
    html = client.get("/admin/audit?start=2026-03-06&end=2026-03-06").get_data(as_text=True)
    assert "<td>login.failed</td>" in html and "<td>campaign.status</td>" not in html
    assert "共 1 条" in html


def test_bad_filter_is_ignored_not_an_error(client, make_user, login):
    as_admin(make_user, login)
    resp = client.get("/admin/audit?start=yesterday&page=-3")
    assert resp.status_code == 200
    assert "已忽略" in resp.get_data(as_text=True)


def test_pagination_keeps_filters(client, make_user, login):
    as_admin(make_user, login)
    for i in range(120):
        add("checklist.update", "li", target=f"item:{i}")
    html = client.get("/admin/audit?action=checklist.update").get_data(as_text=True)
    assert "第 1 / 3 页" in html and "item:119" in html and "item:69" not in html
    assert "page=2" in html and "action=checklist.update" in html
    html = client.get("/admin/audit?action=checklist.update&page=3").get_data(as_text=True)
    assert "item:0<" in html and "下一页" not in html


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
    assert rows[0] == ["id", "at", "username", "user_id", "action", "target", "ip", "detail"]
    names = [r[2] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in names and "zhang" not in names
    assert any("审查员" in r[7] for r in rows[1:])
    exported = db.session.scalar(select(AuditLog).where(AuditLog.action == "audit.export"))
    assert exported.username == "boss" and exported.detail == {"filters": {"action": "user.create"}}


def test_english(client, make_user, login):
    as_admin(make_user, login)
    html = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Audit log" in html and "Export CSV" in html
