"""回访: the customers who left a contact and agreed to be called back, as a work queue.

Admins and the campaign's auditors work it, and the certified company's managers (viewers
granted the campaign, not the certification body's reviewers) see the customers who also
agreed to pass their contact to the company: a contact is masked until revealed (each reveal
is audited), and each call-back gets a status (待回访 / 已回访 / 无法联系), a note, who and
when. Purging personal data after the retention period empties the contacts and the notes;
the queue then shows that the contact is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal_column, select

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Campaign, FollowUp, Outlet, Response, User
from ..vocabulary import FOLLOWUPS
from . import privacy
from .uow import unit_of_work

#: the longest note of one call-back
MAX_NOTE = 2000


@dataclass(frozen=True)
class Row:
    response_id: int
    outlet: str
    channel: str
    submitted_at: datetime
    contact: str  #: masked (or in full when just revealed)
    comment: str | None
    status: str
    note: str | None
    by: str | None
    at: datetime | None
    has_contact: bool
    shared: bool = False  #: the customer agreed to pass the contact to the company


def _status():
    """A call-back's status: its record's, or 待回访 while nobody has recorded one."""
    # a literal, not a parameter: GROUP BY must repeat the very same expression (PostgreSQL)
    return func.coalesce(FollowUp.status, literal_column("'todo'"))


def _consenting_rows(campaign: Campaign, shared_only: bool = False):
    """The campaign's responses whose customer agreed to a call-back; with shared_only, only
    those who also agreed to pass the contact to the certified company (its managers' queue)."""
    stmt = (
        select(Response)
        .outerjoin(FollowUp, FollowUp.response_id == Response.id)
        .where(Response.campaign_id == campaign.id, Response.contact_consent.is_(True))
    )
    return stmt.where(Response.contact_share.is_(True)) if shared_only else stmt


def queue(
    campaign: Campaign,
    status: str | None = None,
    revealed: int | None = None,
    shared_only: bool = False,
) -> list[Row]:
    """The campaign's call-backs, oldest first; `revealed` shows that one's contact in full;
    `shared_only` keeps those the customer agreed to share with the company."""
    if status is not None and status not in FOLLOWUPS:
        raise DomainError("invalid", "status")
    stmt = (
        _consenting_rows(campaign, shared_only)
        .add_columns(Outlet.name, FollowUp, User)
        .join(Outlet, Outlet.id == Response.outlet_id)
        .outerjoin(User, User.id == FollowUp.user_id)
        .order_by(Response.submitted_at, Response.id)
    )
    if status is not None:
        stmt = stmt.where(_status() == status)
    return [
        Row(
            response_id=r.id,
            outlet=outlet,
            channel=r.channel,
            submitted_at=r.submitted_at,
            contact=privacy.display_contact(r.contact_encrypted, reveal=r.id == revealed),
            comment=r.comment,
            status=f.status if f is not None else "todo",
            note=f.note if f is not None else None,
            by=(user.display_name or user.username) if user is not None else None,
            at=f.at if f is not None else None,
            has_contact=r.contact_encrypted is not None,
            shared=r.contact_share,
        )
        for r, outlet, f, user in db.session.execute(stmt)
    ]


def _response(campaign: Campaign, response_id: int, shared_only: bool) -> Response:
    r = db.session.get(Response, response_id)
    if r is None or r.campaign_id != campaign.id or not r.contact_consent:
        raise DomainError("not_found", "response")
    if shared_only and not r.contact_share:
        raise DomainError("not_found", "response")
    return r


def reveal(campaign: Campaign, response_id: int, shared_only: bool = False) -> int:
    """Check the call-back exists and audit the reveal of its contact (the caller shows it)."""
    r = _response(campaign, response_id, shared_only)
    if r.contact_encrypted is None:
        raise DomainError("not_found", "contact")
    privacy.reveal_contact(r)
    return r.id


def update(
    campaign: Campaign,
    response_id: int,
    status: str,
    note: str | None,
    by: User,
    shared_only: bool = False,
) -> None:
    """Record a call-back's outcome (status and note), who and when; audited."""
    if status not in FOLLOWUPS:
        raise DomainError("invalid", "status")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise DomainError("too_long", "note", max=MAX_NOTE)
    r = _response(campaign, response_id, shared_only)
    with unit_of_work() as uow:
        f = db.session.get(FollowUp, r.id)
        old = f.status if f is not None else "todo"
        if f is None:
            f = FollowUp(response_id=r.id)
            db.session.add(f)
        f.status, f.note, f.user_id, f.at = status, note, by.id, utcnow()
        uow.audit(
            "followup.update",
            target=f"response:{r.id}",
            detail={"campaign_id": campaign.id, "status": [old, status]},
            by=by,
        )


def counts(campaign: Campaign, shared_only: bool = False) -> dict[str, int]:
    """How many call-backs are in each status (one grouped count, no contact decrypted)."""
    stmt = (
        _consenting_rows(campaign, shared_only)
        .with_only_columns(_status(), func.count())
        .group_by(_status())
    )
    return {**dict.fromkeys(FOLLOWUPS, 0), **{k: n for k, n in db.session.execute(stmt)}}
