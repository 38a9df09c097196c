"""Review of flagged responses: exclude or reinstate with a reason (writes own their commit).

A response is never deleted; each change appends an exclusion row, records it and the
response's new state in the ledger, and writes the audit log, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Campaign, Response, ResponseExclusion, User
from ..survey_math import FLAG_COLUMNS
from .scores import flags, outlet_names
from .uow import unit_of_work

#: an exclusion's or reinstatement's reason, in characters
MAX_REASON = 2000


@dataclass(frozen=True)
class ReviewRow:
    """One response on the review page: paradata, flags with reasons, exclusion history."""

    id: int
    channel: str
    outlet: str
    submitted_at: dt.datetime | None
    duration_s: float | None
    answers: str
    flags: tuple[str, ...]
    reason: str
    excluded: bool
    history: tuple[ResponseExclusion, ...] = field(default_factory=tuple)
    comment: str | None = None  #: what the customer wrote, if anything


#: what the review page can show: one flag's responses, or the excluded ones
KINDS = (*FLAG_COLUMNS, "excluded")
#: responses changed by one bulk exclusion or reinstatement (a page of the review list)
MAX_BULK = 200


def flagged_responses(
    campaign: Campaign,
    *,
    include_excluded: bool = True,
    limit: int = 200,
    offset: int = 0,
    kind: str | None = None,
) -> tuple[list[ReviewRow], int]:
    """Flagged responses (and excluded ones, which stay visible), newest first; and the total.

    `kind` narrows to one flag (speeding, burst, …) or to the excluded responses."""
    if kind is not None and kind not in KINDS:
        raise DomainError("invalid", "flag")
    f = flags(campaign)
    ids = f.index.to_numpy()
    excluded_ids = db.session.scalars(
        select(Response.id).where(Response.campaign_id == campaign.id, Response.excluded.is_(True))
    ).all()
    is_excluded = np.isin(ids, np.asarray(excluded_ids, dtype=np.int64))
    if kind == "excluded":
        mask = is_excluded
    elif kind is not None:
        mask = f[kind].fillna(False).to_numpy(dtype=bool)
    else:
        mask = f["flagged"].to_numpy()
        if include_excluded:
            mask = mask | is_excluded
    chosen = ids[mask][::-1]
    total = len(chosen)
    page = [int(i) for i in chosen[offset : offset + limit]]
    if not page:
        return [], total
    rows = db.session.scalars(select(Response).where(Response.id.in_(page))).all()
    by_id = {r.id: r for r in rows}
    outlets = outlet_names(campaign)
    history: dict[int, list[ResponseExclusion]] = {}
    for x in db.session.scalars(
        select(ResponseExclusion)
        .where(ResponseExclusion.response_id.in_(page))
        .order_by(ResponseExclusion.id)
    ):
        history.setdefault(x.response_id, []).append(x)
    out = []
    for rid in page:
        r = by_id[rid]
        flag_row = f.loc[rid]
        out.append(
            ReviewRow(
                id=r.id,
                channel=r.channel,
                outlet=outlets.get(r.outlet_id, str(r.outlet_id)),
                submitted_at=r.submitted_at,
                duration_s=r.duration_s,
                answers=r.answers,
                flags=tuple(name for name in FLAG_COLUMNS if bool(flag_row[name])),
                reason=str(flag_row["reason"]),
                excluded=r.excluded,
                history=tuple(history.get(rid, ())),
                comment=r.comment,
            )
        )
    return out, total


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError("too_long", "reason", max=MAX_REASON)
    return reason


def _record(uow, response: Response, action: str, reason: str, user: User, **extra):
    """One exclusion row, the response's new state, both in the ledger, and the audit entry."""
    row = ResponseExclusion(
        response_id=response.id,
        campaign_id=response.campaign_id,
        action=action,
        reason=reason,
        user_id=user.id,
        at=utcnow(),
    )
    db.session.add(row)
    response.excluded = action == "exclude"
    uow.ledger("exclusion", row)
    uow.ledger(f"response.{action}", response)
    uow.audit(
        f"response.{action}",
        target=f"response:{response.id}",
        detail=lambda: {
            "campaign_id": response.campaign_id,
            "reason": reason,
            "exclusion_id": row.id,
            **extra,
        },
        by=user,
    )
    return row


def _change(response: Response, action: str, reason: str, user: User) -> ResponseExclusion:
    reason = _reason(reason)
    if action == "exclude" and response.excluded:
        raise DomainError("already_excluded", "response", id=response.id)
    if action == "reinstate" and not response.excluded:
        raise DomainError("not_excluded", "response", id=response.id)
    with unit_of_work() as uow:
        row = _record(uow, response, action, reason, user)
    return row


@dataclass(frozen=True)
class BulkResult:
    changed: int  #: responses excluded (or reinstated)
    unchanged: int  #: already in that state, left as they were


def change_many(
    campaign: Campaign, response_ids: list[int], action: str, reason: str, user: User
) -> BulkResult:
    """Exclude or reinstate many responses of the campaign with one reason, in one transaction
    (each with its own exclusion row, ledger entries and audit entry, as one at a time would).
    An id of another campaign refuses the whole request; one already in that state is skipped."""
    if action not in ("exclude", "reinstate"):
        raise DomainError("invalid", "action")
    reason = _reason(reason)
    wanted = sorted(set(response_ids))
    if not wanted:
        raise DomainError("required", "responses")
    if len(wanted) > MAX_BULK:
        raise DomainError("too_many", "responses", max=MAX_BULK)
    rows = db.session.scalars(
        select(Response)
        .where(Response.id.in_(wanted), Response.campaign_id == campaign.id)
        .order_by(Response.id)
    ).all()
    if len(rows) != len(wanted):
        raise DomainError("no_such_id", "responses")
    target = action == "exclude"
    todo = [r for r in rows if bool(r.excluded) != target]
    with unit_of_work() as uow:
        for response in todo:
            _record(uow, response, action, reason, user, bulk=len(todo))
    return BulkResult(len(todo), len(rows) - len(todo))


def exclude(response: Response, reason: str, user: User) -> ResponseExclusion:
    """Exclude a response from the scores; it stays stored and visible. Reason required."""
    return _change(response, "exclude", reason, user)


def reinstate(response: Response, reason: str, user: User) -> ResponseExclusion:
    """Bring an excluded response back into the scores. Reason required."""
    return _change(response, "reinstate", reason, user)


def excluded_count(campaign: Campaign) -> int:
    """How many of the campaign's responses are excluded now."""
    return db.session.scalar(
        select(func.count(Response.id)).where(
            Response.campaign_id == campaign.id, Response.excluded.is_(True)
        )
    )


def exclusion_reasons(campaign: Campaign) -> dict[int, ResponseExclusion]:
    """The latest exclusion/reinstatement of each response that has one."""
    out: dict[int, ResponseExclusion] = {}
    for x in db.session.scalars(
        select(ResponseExclusion)
        .join(Response, Response.id == ResponseExclusion.response_id)
        .where(Response.campaign_id == campaign.id)
        .order_by(ResponseExclusion.id)
    ):
        out[x.response_id] = x
    return out
