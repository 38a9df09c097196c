"""Customer personal data: contacts encrypted with a key kept outside the DB, masked, purged.

Purging (after PERSONAL_DATA_RETENTION_DAYS from the campaign's close) sets each response's
comment and encrypted contact to NULL and appends, per purged response, a ledger entry whose
content is the previously *recorded* snapshot with the personal digests nulled (see
services/records.py). Answers are never touched, and a row edited before the purge still
fails verification afterwards: the purge does not re-read the live row into the ledger.
"""

from __future__ import annotations

import hashlib
import hmac
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
    # the rows' locks before reading what was recorded, so no exclusion lands in between
    ledger.write_lock()
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
        .with_for_update()
    ).all()
    entries = [
        (row_id, purged_content(json.loads(content)))
        for row_id, content in _recorded(campaign_id, personal)
    ]
    ledger.append_many("purge", "responses", entries, chain=campaign_id)
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
        chain=campaign_id,
    )
    audit.record(
        "privacy.purge",
        target=f"campaign:{campaign_id}",
        detail={"responses": len(ids)},
        commit=False,
    )
    db.session.commit()
    return PurgeResult(campaign_id, len(ids), ends)


#: Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or retyped survives
_RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: characters of a receipt code: 50 bits, about one collision in 2,000 among a million codes
RECEIPT_LENGTH = 10


def receipt_code(campaign_id: int, client_id: str) -> str:
    """The receipt code of a response, shown on the thank-you page: HMAC(secret, campaign,
    client id), so the same browser's retry gets the same code and nothing needs keeping
    but its digest (the privacy page finds the response by it). Looks like "7KQ2M-9XDA4"."""
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"receipt", hashlib.sha256)
    mac = hmac.new(key.digest(), f"{campaign_id}|{client_id}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(mac[:8], "big") >> (64 - 5 * RECEIPT_LENGTH)
    chars = [_RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(RECEIPT_LENGTH))]
    half = RECEIPT_LENGTH // 2
    return "".join(chars[:half]) + "-" + "".join(chars[half:])


def receipt_digest(code: str) -> str | None:
    """sha256 of a receipt code as typed (any case, spaces or dashes, O for 0, I or L for 1);
    None when it cannot be a receipt code."""
    cleaned = "".join(ch for ch in str(code).upper() if ch not in " -\t")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != RECEIPT_LENGTH or any(ch not in _RECEIPT_ALPHABET for ch in cleaned):
        return None
    return hashlib.sha256(f"{cleaned[:5]}-{cleaned[5:]}".encode()).hexdigest()


@dataclass(frozen=True)
class Erased:
    """What a customer's request with their receipt code removed."""

    response_id: int
    contact: bool  #: a contact was deleted (and consent withdrawn)
    comment: bool  #: a comment was deleted


def find_by_receipt(code: str) -> Response | None:
    """The response whose thank-you page showed this receipt code (None: no such code)."""
    digest = receipt_digest(code)
    if digest is None:
        return None
    rows = db.session.scalars(
        select(Response).where(Response.receipt_sha256 == digest).limit(2)
    ).all()
    # two responses on one 50-bit code (≈ 1 in 2,000 campaigns of a million) name nobody
    return rows[0] if len(rows) == 1 else None


def erase_by_receipt(code: str, *, comment: bool) -> Erased:
    """The customer's own request (PIPL): withdraw consent and delete the contact, and with
    `comment` the comment too. The answers stay, anonymous and counted as before; the ledger
    gets an entry whose content is the recorded snapshot with those digests nulled, as a purge
    does, so the chain still verifies and a row edited before still fails."""
    if not str(code or "").strip():
        raise DomainError("required", "receipt")
    if find_by_receipt(code) is None:  # a mistyped code never waits for the append lock
        raise DomainError("unknown_receipt", "receipt")
    # the row's lock before the flush reads what was recorded, so no exclusion lands between
    ledger.write_lock()
    r = find_by_receipt(code)
    if r is None:
        raise DomainError("unknown_receipt", "receipt")
    db.session.refresh(r, with_for_update=True)
    had_contact = r.contact_encrypted is not None
    had_comment = comment and r.comment is not None
    # the flush records the recorded content with the changed fields (services/ledger.py)
    ledger.mark("erase", r)
    r.contact_encrypted = None
    r.contact_consent = False
    r.contact_share = False
    if comment:
        r.comment = None
    follow = db.session.get(FollowUp, r.id)
    if follow is not None:
        follow.note = None
    audit.record(
        "privacy.withdraw",
        target=f"response:{r.id}",
        detail={"campaign_id": r.campaign_id, "contact": had_contact, "comment": had_comment},
        commit=False,
    )
    db.session.commit()
    return Erased(r.id, had_contact, bool(had_comment))


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
