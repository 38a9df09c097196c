"""The signed-in home page: the campaigns a user may see."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..db import db
from .access import visible_campaigns

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """List the campaigns visible to the user."""
    campaigns = db.session.scalars(visible_campaigns(current_user).limit(200)).all()
    return render_template("main/index.html", campaigns=campaigns)


@bp.route("/healthz")
def healthz():
    """Liveness probe for process managers; touches the database."""
    db.session.execute(db.select(1))
    return {"status": "ok"}
