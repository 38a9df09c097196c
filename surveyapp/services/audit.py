"""The audit log: who did what, when and from where."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Select, func, select

from .. import exports
from ..db import db
from ..i18n import local_zone
from ..models import AuditLog
from . import actor

#: rows in one CSV export; a larger log is exported in date ranges
EXPORT_LIMIT = 200_000


def record(
    action: str,
    target: str | None = None,
    detail: dict | None = None,
    username: str | None = None,
    user_id: int | None = None,
    commit: bool = True,
) -> AuditLog:
    """Append an audit entry for the acting user (or the one named); commits unless told not to.

    Who and from where come from `actor.current()`, which the web layer sets per request.
    """
    who = actor.current()
    ip = who.ip if who else None
    if user_id is None and who is not None and who.user_id is not None:
        user_id, username = who.user_id, username or who.username
    if user_id is not None and username is None:
        from ..models import User

        user = db.session.get(User, user_id)
        username = user.username if user is not None else None
    entry = AuditLog(
        action=action,
        target=target,
        detail=detail,
        campaign_id=campaign_of(target, detail),
        username=(username or None) and str(username)[:64],
        user_id=user_id,
        ip=ip,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def campaign_of(target: str | None, detail: dict | None) -> int | None:
    """The campaign an entry concerns: its target, or the campaign its detail names."""
    if target and target.startswith("campaign:") and target[9:].isdigit():
        return int(target[9:])
    for key in ("campaign", "campaign_id"):
        value = (detail or {}).get(key) if isinstance(detail, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@dataclass(frozen=True)
class Filters:
    """Audit log filters: user name, action (a prefix: "login" finds login.failed), UTC bounds."""

    user: str | None = None
    action: str | None = None
    campaign: int | None = None
    since: datetime | None = None  #: inclusive
    before: datetime | None = None  #: exclusive


def _query(f: Filters) -> Select:
    """Audit entries matching the filters, newest first."""
    stmt = select(AuditLog)
    if f.user:
        stmt = stmt.where(AuditLog.username == f.user.strip())
    if f.action:
        action = f.action.strip()
        stmt = stmt.where((AuditLog.action == action) | AuditLog.action.startswith(action + "."))
    if f.campaign is not None:
        stmt = stmt.where(AuditLog.campaign_id == f.campaign)
    if f.since is not None:
        stmt = stmt.where(AuditLog.at >= f.since)
    if f.before is not None:
        stmt = stmt.where(AuditLog.at < f.before)
    return stmt.order_by(AuditLog.id.desc())


def search(f: Filters, page: int, per_page: int) -> tuple[list[AuditLog], int]:
    """One page of matching entries, newest first, and how many match in all."""
    stmt = _query(f)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    entries = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return list(entries), total


#: the export's columns; `at` carries its UTC offset (+08:00 in the app's zone)
EXPORT_HEADER = (
    "id",
    "at",
    "username",
    "user_id",
    "action",
    "target",
    "campaign_id",
    "ip",
    "detail",
)


def table(f: Filters, zone: tzinfo | None = None) -> exports.Table:
    """The matching entries (newest first, at most EXPORT_LIMIT) as an export table."""
    return exports.Table.from_rows("audit", EXPORT_HEADER, _export_rows(f), zone or local_zone())


def _export_rows(f: Filters) -> Iterator[tuple]:
    # a generator: the query runs (server-side cursor, 1000 rows at a time) when read
    stmt = _query(f).limit(EXPORT_LIMIT).execution_options(yield_per=1000)
    for e in db.session.scalars(stmt):
        detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
        yield (e.id, e.at, e.username, e.user_id, e.action, e.target, e.campaign_id, e.ip, detail)


def export(f: Filters, stem: str, fmt: str = "csv"):
    """The matching entries as a download in a registered format (CSV: BOM first)."""
    return exports.download(exports.get(fmt), table(f), stem)
