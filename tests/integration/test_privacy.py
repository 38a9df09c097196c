"""Customer personal data: encrypted at rest, masked, purged after retention with the ledger valid."""

from __future__ import annotations

import stat
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from surveyapp.db import db, utcnow
from surveyapp.errors import DomainError
from surveyapp.models import AuditLog, LedgerEntry, Response
from surveyapp.services import campaigns, ledger, privacy, responses
from tests.integration.test_ledger_cli import all_fives

PHONE = "13812345678"


def campaign_with_personal_data(n: int = 3):
    """A campaign closing in an hour with n responses carrying a comment and a contact."""
    campaign = campaigns.create_campaign(
        organization={"name": f"Org {uuid.uuid4().hex[:6]}"},
        scheme_id="cqm-2019",
        outlets=["Outlet"],
        closes_at=utcnow() + timedelta(hours=1),
    )
    token = campaigns.outlet_link(campaign.outlets[0]).token
    for i in range(n):
        sub = responses.Submission(
            answers=all_fives(campaign),
            comment=f"维修师傅很耐心 {i}",
            contact=PHONE,
            contact_consent=True,
            client_id=uuid.uuid4().hex,
        )
        responses.submit_online(token, sub)
    # one response without personal data: the purge must leave it alone
    responses.submit_online(
        token, responses.Submission(answers=all_fives(campaign), client_id=uuid.uuid4().hex)
    )
    return campaign


def test_contact_encrypted_with_key_outside_database(app):
    campaign_with_personal_data(1)
    blob = db.session.scalar(select(Response.contact_encrypted).where(Response.id == 1))
    assert PHONE.encode() not in blob
    assert privacy.decrypt_contact(blob) == PHONE
    key = app.instance_path + "/contact.key"
    assert stat.S_IMODE(__import__("os").stat(key).st_mode) == 0o600


def test_ledger_holds_no_personal_value(app):
    campaign_with_personal_data(1)
    contents = " ".join(db.session.scalars(select(LedgerEntry.content)))
    assert PHONE not in contents and "耐心" not in contents
    assert '"contact_sha256":"' in contents  # a digest of the ciphertext, not of the number


def test_masking():
    assert privacy.mask_contact(PHONE) == "138****5678"
    assert privacy.mask_contact("zhang@example.com") == "z***@example.com"
    assert privacy.mask_contact("12345") == "*****"
    assert privacy.mask_contact(None) == ""


def test_display_contact_masks_unless_revealed(app):
    blob = privacy.encrypt_contact(PHONE)
    assert privacy.display_contact(blob) == "138****5678"
    assert privacy.display_contact(blob, reveal=True) == PHONE
    assert privacy.display_contact(None) == ""


def test_reveal_is_audited(app):
    campaign_with_personal_data(1)
    row = db.session.get(Response, 1)
    assert privacy.reveal_contact(row) == PHONE
    assert (
        db.session.scalar(select(AuditLog.target).where(AuditLog.action == "contact.reveal"))
        == "response:1"
    )


def test_purge_refused_during_retention(app, runner):
    campaign = campaign_with_personal_data(1)
    with pytest.raises(DomainError, match="retention_running"):
        privacy.purge_campaign(campaign.id)
    result = runner.invoke(args=["purge-personal-data", str(campaign.id)])
    assert result.exit_code == 2 and "保存期至" in result.stderr
    assert db.session.scalar(select(Response.comment).where(Response.id == 1)) is not None


def test_purge_refused_while_open_ended(app):
    campaign = campaigns.create_campaign(
        organization={"name": "Open"}, scheme_id="cqm-2019", outlets=["O"]
    )
    with pytest.raises(DomainError, match="campaign_open"):
        privacy.purge_campaign(campaign.id, now=utcnow() + timedelta(days=3650))


def test_purge_after_retention_keeps_ledger_valid(app, runner):
    campaign = campaign_with_personal_data(3)
    answers = db.session.scalars(select(Response.answers).order_by(Response.id)).all()
    later = campaign.closes_at + timedelta(
        days=app.config["PERSONAL_DATA_RETENTION_DAYS"], seconds=1
    )
    result = privacy.purge_campaign(campaign.id, now=later)
    assert result.responses == 3
    rows = db.session.execute(
        select(Response.comment, Response.contact_encrypted, Response.answers).order_by(Response.id)
    ).all()
    assert all(c is None and k is None for c, k, _a in rows)
    assert [a for _c, _k, a in rows] == answers  # answers are records: never touched
    out = runner.invoke(args=["verify-ledger"])
    assert out.exit_code == 0, out.output
    assert "ledger intact" in out.output
    kinds = db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.kind == "purge")).all()
    assert len(kinds) == 4  # 3 purged responses + 1 summary
    assert db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "privacy.purge")) == {
        "responses": 3
    }
    # idempotent: nothing personal is left
    assert privacy.purge_campaign(campaign.id, now=later).responses == 0
    assert ledger.verify()[1] is None


def test_purge_does_not_launder_a_tampered_row(app):
    campaign = campaign_with_personal_data(2)
    db.session.execute(
        text("UPDATE responses SET answers = '1' || substr(answers, 2) WHERE id = 2")
    )
    db.session.commit()
    later = campaign.closes_at + timedelta(days=400)
    privacy.purge_campaign(campaign.id, now=later)
    _n, mismatch = ledger.verify()
    assert mismatch is not None and mismatch.row_id == 2 and "answers" in mismatch.problem


def test_purge_via_cli(app, runner):
    campaign = campaign_with_personal_data(1)
    campaign.closes_at = utcnow() - timedelta(days=800)  # through the app: recorded
    db.session.commit()
    result = runner.invoke(args=["purge-personal-data", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert "purged from 1 responses" in result.output
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
