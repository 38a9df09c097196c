"""Who am I: check a token and see its user's role."""

from __future__ import annotations

from typing import Literal

from flask import g
from pydantic import BaseModel

from ...vocabulary import ids
from . import api_auth, bp
from .document import operation
from .schema import out


class Me(BaseModel):
    """the user"""

    id: int
    username: str
    role: Literal[ids("role")]  # type: ignore[valid-type]


@bp.get("/me")
@operation("The user owning the bearer token", ok={200: Me})
@api_auth("admin", "auditor", "viewer")
def me():
    """The token's user."""
    u = g.api_user
    return out(Me, {"id": u.id, "username": u.username, "role": u.role})
