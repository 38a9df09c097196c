"""回访: consenting customers as a work queue for admins and the campaign's auditors — masked
contacts, audited reveals, status with note, who and when; never shown to viewers."""

from __future__ import annotations

from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import AuditLog, FollowUp, Response
from surveyapp.services import responses as response_service
from surveyapp.services.responses import Submission
from tests import factories


def _customers(c):
    token = factories.outlet_token(c)
    for i, (contact, consent) in enumerate((("13812345678", True), (None, False))):
        response_service.submit_online(
            token,
            Submission(
                answers=factories.full_answers(c, 4),
                comment="希望回访" if consent else None,
                client_id=f"callback-{i:04d}",
                contact=contact,
                contact_consent=consent,
            ),
        )
    return db.session.scalar(select(Response.id).where(Response.client_id == "callback-0000"))


def test_the_queue_masks_reveals_and_records(client, make_user, login):
    auditor, _t = make_user("auditor", "callback.aud")
    c = factories.make_campaign(auditors=[auditor])
    rid = _customers(c)
    login("callback.aud")
    page = client.get(f"/campaigns/{c.id}/followups")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "138****5678" in html and "13812345678" not in html
    assert html.count('name="reveal"') == 1  # no contact, no call-back: not in the queue
    shown = client.post(f"/campaigns/{c.id}/followups", data={"response": rid, "reveal": "1"})
    assert "13812345678" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    reveal = db.session.scalars(select(AuditLog).where(AuditLog.action == "contact.reveal")).one()
    assert reveal.username == "callback.aud" and reveal.target == f"response:{rid}"
    done = client.post(
        f"/campaigns/{c.id}/followups",
        data={"response": rid, "status": "done", "note": "已电话回访，顾客满意"},
    )
    assert done.status_code == 303
    f = db.session.get(FollowUp, rid)
    assert (f.status, f.note, f.user_id) == ("done", "已电话回访，顾客满意", auditor.id)
    listing = client.get(f"/campaigns/{c.id}/followups?status=done").get_data(as_text=True)
    assert "已电话回访，顾客满意" in listing and "callback.aud" in listing
    bad = client.post(f"/campaigns/{c.id}/followups", data={"response": rid, "status": "gone"})
    assert bad.status_code == 303 and db.session.get(FollowUp, rid).status == "done"


def test_viewers_and_other_auditors_never_see_contacts(client, make_user, login):
    c = factories.make_campaign()
    _customers(c)
    make_user("viewer", "callback.viewer")
    make_user("auditor", "callback.other")
    for name in ("callback.viewer", "callback.other"):
        login(name)
        from flask import g

        g.pop("_login_user", None)
        assert client.get(f"/campaigns/{c.id}/followups").status_code == 403
        client.post("/logout")
        g.pop("_login_user", None)


def test_a_purge_takes_the_notes_with_the_contacts(app, make_user):
    from datetime import timedelta

    from surveyapp.db import utcnow
    from surveyapp.services import campaigns as campaign_service
    from surveyapp.services import followups, privacy

    auditor, _t = make_user("auditor", "callback.purge")
    c = factories.make_campaign(auditors=[auditor])
    rid = _customers(c)
    followups.update(c, rid, "unreachable", "打了三次没人接", auditor)
    campaign_service.change_status(c, "closed")
    privacy.purge_campaign(c.id, now=utcnow() + timedelta(days=400))
    assert db.session.get(FollowUp, rid).note is None
    row = followups.queue(c)[0]
    assert not row.has_contact and row.status == "unreachable"
