"""The signed-cookie session, with its signing serializer made once per key.

Flask builds a new `URLSafeTimedSerializer` (and its signer) on every request, also for the
customer's submission that carries no cookie at all; the keys change only with the app's
configuration, so the serializer is kept for the keys it was made with.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; the serializer is remade only when the keys change, and
    a request that brings no session cookie and leaves the session untouched (a customer's
    submission) is passed through without the cookie's settings being worked out."""

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

    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()  # what Flask's opens for a request without the cookie
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified:
            # nothing to set or delete; what Flask's concludes, without the cookie's settings
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
