"""The customer in control of their contact (PIPL, issue 12): a notice before the field, consent
never pre-ticked, a separate consent to share with the company, a receipt code on the thank-you
page, and a public privacy page that withdraws consent or deletes contact and comment with it
while the answers stay and the ledger verifies."""

from __future__ import annotations

import re
import uuid

from flask import g
from flask_babel import refresh
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import AuditLog, Response
from surveyapp.services import accounts, ledger, privacy, responses, scores
from tests import factories

PHONE = "13812345678"


def _form(campaign, **extra) -> dict:
    data = {f"q_{k}": str(v) for k, v in factories.full_answers(campaign, 4).items()}
    data["client_id"] = uuid.uuid4().hex
    return {**data, **extra}


def _page_fields(html: str) -> dict:
    return dict(re.findall(r'name="(csrf_token|started)" value="([^"]*)"', html))


def _submit(client, campaign, token, **extra):
    page = client.get(f"/s/{token}")
    fields = _page_fields(page.get_data(as_text=True))
    return client.post(f"/s/{token}", data={**_form(campaign, **extra), **fields})


def _receipt(html: str) -> str:
    found = re.search(r"data-receipt>([0-9A-Z]{5}-[0-9A-Z]{5})<", html)
    assert found, html[-1500:]
    return found.group(1)


def test_the_notice_comes_before_the_field_and_nothing_is_pre_ticked(client, app):
    c = factories.make_campaign()
    html = client.get(f"/s/{factories.outlet_token(c)}").get_data(as_text=True)
    notice = html.index("加密保存，只用于就本次评价回访您")
    assert notice < html.index('name="contact"')
    assert "评价结束 365 天后删除" in html and 'href="/privacy"' in html
    assert c.organization.name in html  # the share consent names the company
    for box in re.findall(r"<input[^>]*type=\"checkbox\"[^>]*>", html):
        assert "checked" not in box
    refresh()  # the test's shared app context keeps the first request's language
    en = client.get(f"/s/{factories.outlet_token(c)}?lang=en").get_data(as_text=True)
    assert "Privacy notice" in en


def test_receipt_on_thanks_and_withdrawal_keeps_answers_and_ledger(client, app):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    r = _submit(
        client,
        c,
        token,
        contact=PHONE,
        contact_consent="1",
        contact_share="1",
        q_comment="师傅很专业，但是等了三天才上门。",
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    thanks = client.get(r.headers["Location"])
    assert thanks.headers["Cache-Control"] == "no-store"
    code = _receipt(thanks.get_data(as_text=True))
    row = db.session.scalars(select(Response).where(Response.campaign_id == c.id)).one()
    assert row.contact_consent and row.contact_share and row.contact_encrypted is not None
    assert code not in str(row.receipt_sha256)  # only a digest is kept
    scores.clear_cache()
    before = scores.campaign_scores(c)

    # mistyped codes are refused and change nothing; the typed code may be lower case, no dash
    bad = client.post("/privacy", data={"receipt": "ZZZZZ-ZZZZZ", "what": "all"})
    assert bad.status_code == 404 and "没有找到这个回执码" in bad.get_data(as_text=True)
    db.session.refresh(row)
    assert row.contact_encrypted is not None

    ok = client.post("/privacy", data={"receipt": code.replace("-", "").lower(), "what": "all"})
    assert ok.status_code == 200
    assert "已撤回您的同意，并删除了您的联系方式和留言" in ok.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Response, row.id)
    assert row.contact_encrypted is None and row.comment is None
    assert not row.contact_consent and not row.contact_share
    assert row.answers  # the answers stay, anonymous
    assert ledger.verify()[1] is None
    scores.clear_cache()
    after = scores.campaign_scores(c)
    assert (after["S"], after["n"]) == (before["S"], before["n"])
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.target == f"response:{row.id}")
    )
    assert "privacy.withdraw" in list(actions)
    # once more: nothing left to delete, said plainly
    again = client.post("/privacy", data={"receipt": code, "what": "all"})
    assert "无需再删除" in again.get_data(as_text=True)


def test_withdrawing_consent_only_keeps_the_comment(client, app):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    cid = uuid.uuid4().hex
    stored = responses.submit_online(
        token,
        responses.Submission(
            answers=factories.full_answers(c),
            comment="希望回访",
            contact=PHONE,
            contact_consent=True,
            client_id=cid,
        ),
    )
    assert stored.receipt == privacy.receipt_code(c.id, cid)
    done = privacy.erase_by_receipt(stored.receipt, comment=False)
    assert done.contact and not done.comment
    row = db.session.get(Response, stored.id)
    assert row.contact_encrypted is None and row.comment == "希望回访"
    assert ledger.verify()[1] is None


def test_the_api_returns_the_receipt_and_refuses_share_without_consent(client, app):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    body = {"answers": factories.full_answers(c), "client_id": uuid.uuid4().hex}
    r = client.post(f"/api/v1/links/{token}/responses", json=body)
    assert r.status_code == 201 and re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", r.json["receipt"])
    again = client.post(f"/api/v1/links/{token}/responses", json=body)
    assert again.status_code == 200 and again.json["receipt"] == r.json["receipt"]
    n = db.session.scalar(select(func.count()).select_from(Response))
    bad = client.post(
        f"/api/v1/links/{token}/responses",
        json={**body, "client_id": uuid.uuid4().hex, "contact_share": True},
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "share_without_consent"
    assert db.session.scalar(select(func.count()).select_from(Response)) == n


def test_receipt_codes_read_back_as_typed(app):
    code = privacy.receipt_code(7, "abcdefgh-1234")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
    assert (
        privacy.receipt_code(7, "abcdefgh-1234") == code != privacy.receipt_code(8, "abcdefgh-1234")
    )
    typed = code.lower().replace("0", "o").replace("1", "l").replace("-", " ")
    assert privacy.receipt_digest(typed) == privacy.receipt_digest(code)
    for bad in ("", "12345", "UUUUU-UUUUU", "1234567890123", "<script>"):
        assert privacy.receipt_digest(bad) is None


def test_the_privacy_page_is_public_and_guessing_codes_is_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, PRIVACY_RATE="3 per minute")
    with app.app_context():
        client = app.test_client()
        page = client.get("/privacy")
        assert page.status_code == 200 and "评价结束 365 天后" in page.get_data(as_text=True)
        codes = [
            client.post("/privacy", data={"receipt": f"ZZZZZ-ZZZZ{i}"}).status_code
            for i in range(4)
        ]
        assert codes == [404, 404, 404, 429]


def _with_contact(campaign, token, share: bool, phone: str) -> int:
    sub = responses.Submission(
        answers=factories.full_answers(campaign),
        contact=phone,
        contact_consent=True,
        contact_share=share,
        client_id=uuid.uuid4().hex,
    )
    return responses.submit_online(token, sub).id


def test_the_company_sees_only_contacts_shared_with_it(app, make_user):
    c = factories.make_campaign()
    token = factories.outlet_token(c)
    shared = _with_contact(c, token, True, "13900001111")
    kept = _with_contact(c, token, False, "13900002222")
    manager, _t = make_user("viewer", sees_all=False)
    accounts.grant(manager.username, campaign_id=c.id)
    reviewer, _t = make_user("viewer")  # the certification body's reviewer: sees all, calls none
    auditor, _t = make_user("auditor")
    accounts.grant(auditor.username, campaign_id=c.id)

    def client_of(user):
        g.pop("_login_user", None)
        client = app.test_client()
        client.post("/login", data={"username": user.username, "password": "correct-horse"})
        return client

    path = f"/campaigns/{c.id}/followups"
    as_manager = client_of(manager)
    html = as_manager.get(path).get_data(as_text=True)
    assert "139****1111" in html and "139****2222" not in html
    assert "提供给贵公司" in html
    # revealing the other one by its id is refused like a row that does not exist
    as_manager.post(path, data={"response": kept, "reveal": "1"})
    assert not db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.target == f"response:{kept}")
    )
    revealed = as_manager.post(path, data={"response": shared, "reveal": "1"})
    assert "13900001111" in revealed.get_data(as_text=True)

    assert client_of(reviewer).get(path).status_code == 403
    both = client_of(auditor).get(path).get_data(as_text=True)
    assert "139****1111" in both and "139****2222" in both and "同意提供给企业" in both
