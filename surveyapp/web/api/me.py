"""Who am I: check a token and see its user's role."""

from __future__ import annotations

from flask import g

from . import ERROR_CONTENT, api_auth, bp


@bp.get("/me")
@api_auth("admin", "auditor", "viewer")
def me():
    """The token's user."""
    u = g.api_user
    return {"id": u.id, "username": u.username, "role": u.role}


PATHS = {
    "/me": {
        "get": {
            "summary": "The user owning the bearer token",
            "security": [{"bearer": []}],
            "responses": {
                "200": {
                    "description": "the user",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "username", "role"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "username": {"type": "string"},
                                    "role": {
                                        "type": "string",
                                        "enum": ["admin", "auditor", "viewer"],
                                    },
                                },
                            }
                        }
                    },
                },
                "401": {"description": "no valid token", "content": ERROR_CONTENT},
            },
        }
    }
}
