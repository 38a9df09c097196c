"""The audit log: who did what, when and from where."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from ..db import db
from ..models import AuditLog


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
