"""The signed-cookie session, with its signing serializer made once per key.

Flask builds a new `URLSafeTimedSerializer` (and its signer) on every request, also for the
customer's submission that carries no cookie at all; the keys change only with the app's
configuration, so the serializer is kept for the keys it was made with.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; the serializer is remade only when the keys change."""

    def __init__(self) -> None:
        self._made: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._made
        if made is not None and made[0] == keys:
            return made[1]
        serializer = super().get_signing_serializer(app)
        self._made = (keys, serializer)
        return serializer
