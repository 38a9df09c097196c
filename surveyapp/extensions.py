"""Flask extensions, created unbound and attached in create_app (application factory)."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from . import limits_store  # noqa: F401  (registers the sqlite:// rate-limit store)

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def client_address() -> str:
    """The client's address (ProxyFix, when configured, has already applied X-Forwarded-For)."""
    return request.remote_addr or "unknown"
