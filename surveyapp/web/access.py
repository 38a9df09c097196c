"""Who may do what: role checks for pages and API, and campaign visibility."""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, false, select

from ..db import db
from ..models import Campaign, campaign_auditors, campaign_viewers

T = TypeVar("T")


def roles_required(*roles: str):
    """Allow the view only to signed-in users holding one of the roles (401/redirect, else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from ..extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_read(user, campaign: Campaign) -> bool:
    """Admins read every campaign; auditors those assigned to them; viewers those granted to
    them, or all when granted all (the certification body's reviewers)."""
    if user.role == "admin":
        return True
    if user.role == "viewer":
        return bool(user.sees_all) or any(v.id == user.id for v in campaign.viewers)
    return user.role == "auditor" and any(a.id == user.id for a in campaign.auditors)


def can_write(user, campaign: Campaign) -> bool:
    """Admins change every campaign; auditors only those assigned to them; viewers none."""
    if user.role == "admin":
        return True
    return user.role == "auditor" and any(a.id == user.id for a in campaign.auditors)


def manages_company(user, campaign: Campaign) -> bool:
    """A viewer granted this campaign itself (a manager of the certified company), not a
    reviewer who sees every campaign: the one who may see contacts shared with the company."""
    return (
        user.role == "viewer"
        and not user.sees_all
        and any(v.id == user.id for v in campaign.viewers)
    )


def may_call_back(user, campaign: Campaign) -> bool:
    """Who works the call-back queue: admins, the campaign's auditors, its company managers."""
    return can_write(user, campaign) or manages_company(user, campaign)


def visible_campaigns(user) -> Select:
    """A select() of the campaigns the user may read."""
    stmt = select(Campaign).order_by(Campaign.id.desc())
    if user.role == "auditor":
        stmt = stmt.join(campaign_auditors).where(campaign_auditors.c.user_id == user.id)
    elif user.role == "viewer" and not user.sees_all:
        stmt = stmt.join(campaign_viewers).where(campaign_viewers.c.user_id == user.id)
    elif user.role not in ("admin", "viewer"):
        stmt = stmt.where(false())
    return stmt


def campaign_or_abort(campaign_id: int, *, write: bool = False) -> Campaign:
    """The campaign if the signed-in user may read (or change) it; 404 / 403 otherwise."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if not (can_write if write else can_read)(current_user, campaign):
        abort(403)
    return campaign


def in_campaign_or_abort(model: type[T], obj_id: int, campaign: Campaign) -> T:
    """The row (outlet, link, response…) with that id if it belongs to the campaign; 404 otherwise."""
    obj = db.session.get(model, obj_id)
    if obj is None or obj.campaign_id != campaign.id:
        abort(404)
    return obj
