"""Bring a database to the current schema and load the demo on first run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from ..db import db
from ..models import User


def upgrade_schema() -> None:
    """Apply every Alembic migration not yet applied (a no-op when current)."""
    upgrade()


def describe_database() -> str:
    """The database URL with any password masked."""
    return db.engine.url.render_as_string(hide_password=True)


def ensure_demo(instance_path: str, responses: int = 300) -> str:
    """Create the demo accounts and data unless they exist; return the sign-in text to print."""
    from . import accounts, demo_data  # demo_data pulls in numpy: only when a demo is made

    cred_file = Path(instance_path) / "demo-login.txt"
    cred_file.parent.mkdir(parents=True, exist_ok=True)
    if db.session.scalar(select(User.id).where(User.username == "demo-admin")) is None:
        password = secrets.token_urlsafe(9)
        accounts.create_user("demo-admin", "admin", password, display_name="演示管理员")
        accounts.create_user("demo-auditor", "auditor", password, display_name="演示审查员")
        line = f"demo sign-in: demo-admin / {password}  (auditor: demo-auditor / {password})\n"
        cred_file.unlink(missing_ok=True)
        fd = os.open(
            cred_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
        )  # a password: owner only
        with os.fdopen(fd, "w") as f:
            f.write(line)
        demo_data.load(responses)
    return cred_file.read_text().strip() if cred_file.exists() else "demo users exist"
