"""The audit log: who did what, when and from where."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, func, select

from ..db import db
from ..models import AuditLog
from .text import spreadsheet_safe

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
    """Append an audit entry for the current user (or the one named); commits unless told not to."""
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if user_id is None and current_user and current_user.is_authenticated:
            user_id = current_user.id
            username = username or current_user.username
    if user_id is not None and username is None:
        from ..models import User

        user = db.session.get(User, user_id)
        username = user.username if user is not None else None
    entry = AuditLog(
        action=action,
        target=target,
        detail=detail,
        username=(username or None) and str(username)[:64],
        user_id=user_id,
        ip=ip,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


@dataclass(frozen=True)
class Filters:
    """Audit log filters: user name, action (a prefix: "login" finds login.failed), UTC bounds."""

    user: str | None = None
    action: str | None = None
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


def csv_rows(f: Filters) -> Iterator[str]:
    """The matching entries as CSV text chunks (BOM first; cells safe from formulas)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "at_utc", "username", "user_id", "action", "target", "ip", "detail"])
    yield "\ufeff" + buf.getvalue()  # BOM: spreadsheets then read the Chinese correctly
    stmt = _query(f).limit(EXPORT_LIMIT).execution_options(yield_per=1000)
    for e in db.session.scalars(stmt):
        buf.seek(0)
        buf.truncate()
        detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
        at = e.at.astimezone(UTC).isoformat(timespec="seconds")
        fields = (e.id, at, e.username, e.user_id, e.action, e.target, e.ip, detail)
        writer.writerow([spreadsheet_safe(v) for v in fields])
        yield buf.getvalue()
