"""Customer personal data: contacts encrypted with a key kept outside the DB, masked, purged.

Purging (after PERSONAL_DATA_RETENTION_DAYS from the campaign's close) sets each response's
comment and encrypted contact to NULL and appends, per purged response, a ledger entry whose
content is the previously *recorded* snapshot with the personal digests nulled (see
services/records.py). Answers are never touched, and a row edited before the purge still
fails verification afterwards: the purge does not re-read the live row into the ledger.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import func, or_, select, update

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Campaign, FollowUp, LedgerEntry, Response
from . import audit, ledger
from .records import purged_content
from .uow import unit_of_work

#: the ledger's table name for purge summaries (one entry per purge of a campaign); no live
#: table has this name, so verification checks these entries' chain links only
PURGE_TABLE = "campaign_purges"


def _key_path() -> Path:
    return Path(
        current_app.config.get("CONTACT_KEY_FILE")
        or Path(current_app.instance_path) / "contact.key"
    )


def _fernet() -> Fernet:
    """The contact key: FLASK_CONTACT_KEY, else instance/contact.key (created 0600 on first use)."""
    key = current_app.config.get("CONTACT_KEY")
    if not key:
        path = _key_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key())
            except FileExistsError:
                pass
        key = path.read_bytes().strip()
    return Fernet(key)


def encrypt_contact(text: str) -> bytes:
    """Encrypt a customer's contact (phone/e-mail) for storage."""
    return _fernet().encrypt(text.encode("utf-8"))


def decrypt_contact(blob: bytes) -> str | None:
    """Decrypt a stored contact; None when the key does not fit (rotated or lost)."""
    try:
        return _fernet().decrypt(blob).decode("utf-8")
    except InvalidToken:
        return None


def mask_contact(text: str | None) -> str:
    """Show only enough to recognise a contact: 138****5678, z***@example.com."""
    if not text:
        return ""
    if "@" in text:
        name, _, domain = text.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    return "*" * len(text)


def display_contact(blob: bytes | None, reveal: bool = False) -> str:
    """A stored contact for a page or export: masked unless reveal (admins, audited)."""
    if blob is None:
        return ""
    text = decrypt_contact(blob)
    if text is None:
        return "(key mismatch)"
    return text if reveal else mask_contact(text)


def reveal_contact(response: Response) -> str | None:
    """Decrypt one response's contact in full and audit who asked (checked by the caller)."""
    if response.contact_encrypted is None:
        return None
    with unit_of_work() as uow:
        uow.audit("contact.reveal", target=f"response:{response.id}")
    return decrypt_contact(response.contact_encrypted)


@dataclass(frozen=True)
class PurgeResult:
    campaign_id: int
    responses: int
    retention_ended: datetime


def retention_ends(campaign: Campaign) -> datetime | None:
    """When personal data of a campaign may be purged: its close + the retention days.

    The close is `closes_at`, or for a closed/finalized campaign without one, its last
    submission. None while the campaign is still open-ended.
    """
    days = int(current_app.config.get("PERSONAL_DATA_RETENTION_DAYS", 365))
    closed = campaign.closes_at
    if closed is None and campaign.status in ("closed", "finalized"):
        closed = (
            db.session.scalar(
                select(func.max(Response.submitted_at)).where(Response.campaign_id == campaign.id)
            )
            or campaign.created_at
        )
    return None if closed is None else closed + timedelta(days=days)


def purge_campaign(campaign_id: int, now: datetime | None = None) -> PurgeResult:
    """Null comments and contacts of a campaign's responses after retention; the ledger stays valid."""
    now = now or utcnow()
    # the append lock before reading what was recorded, so no exclusion lands in between
    ledger.lock()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise DomainError("not_found", "campaign_id", id=campaign_id)
    ends = retention_ends(campaign)
    if ends is None:
        raise DomainError("campaign_open", "campaign_id", id=campaign_id)
    if now < ends:
        raise DomainError("retention_running", "campaign_id", id=campaign_id, until=ends)
    personal = or_(Response.comment.is_not(None), Response.contact_encrypted.is_not(None))
    ids = db.session.scalars(
        select(Response.id)
        .where(Response.campaign_id == campaign_id, personal)
        .order_by(Response.id)
    ).all()
    entries = [
        (row_id, purged_content(json.loads(content)))
        for row_id, content in _recorded(campaign_id, personal)
    ]
    ledger.append_many("purge", "responses", entries)
    for chunk in _chunks(ids, 500):
        db.session.execute(
            update(Response)
            .where(Response.id.in_(chunk))
            .values(comment=None, contact_encrypted=None)
        )
        # a call-back's note is about the customer too: it goes with the contact
        db.session.execute(
            update(FollowUp).where(FollowUp.response_id.in_(chunk)).values(note=None)
        )
    ledger.append(
        "purge",
        PURGE_TABLE,
        campaign_id,
        {
            "campaign_id": campaign_id,
            "responses": len(ids),
            "fields": ["comment", "contact"],
            "retention_ended": ends.isoformat(),
            "at": now.isoformat(),
        },
    )
    audit.record(
        "privacy.purge",
        target=f"campaign:{campaign_id}",
        detail={"responses": len(ids)},
        commit=False,
    )
    db.session.commit()
    return PurgeResult(campaign_id, len(ids), ends)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _recorded(campaign_id: int, personal):
    """(response id, newest recorded content) of a campaign's responses holding personal data."""
    E = LedgerEntry
    newest = (
        select(func.max(E.id))
        .join(Response, Response.id == E.row_id)
        .where(E.table_name == "responses", Response.campaign_id == campaign_id, personal)
        .group_by(E.row_id)
    )
    return db.session.execute(
        select(E.row_id, E.content).where(E.id.in_(newest)).order_by(E.row_id)
    ).all()
