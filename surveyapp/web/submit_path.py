"""The customers' submission, `POST /api/v1/links/<token>/responses`, outside Flask's request
cycle when it is stored.

It is the one route a busy campaign calls at scale, and Flask's cycle around it (request
context, URL matching, the hooks, the session, the limiter's route resolution, jsonify) was a
third of its CPU: 0.89–0.94 ms in process against 0.61–0.65 ms without it (docs/performance.md).
This WSGI layer, inside ProxyFix and around Flask, stores a customer's response itself when
everything is in order and hands every other request to Flask, body intact:

- It takes only the plain case: `POST`, a JSON body of a stated length within
  MAX_CONTENT_LENGTH, a trusted Host, a caller who is not signed in (no remember-me cookie, no
  user in the session: a signed-in caller is an actor the services must know, Flask's path).
  The survey page's own session, holding its CSRF token, is a customer's: taken here, as it
  is what a phone sends. Anything else is Flask's, untouched.
- It stores through the view's own code (`OnlineResponse`, `store_online`, `online_answer`,
  the security headers): one validation, one guarded insert, one answer. A request it refuses — invalid, a link unknown, not open, closed,
  used — is handed to Flask, which decides it again and answers in the one error contract
  (words in the reader's language, status from web/errors.py): a refusal writes nothing, so
  deciding it twice is safe. Any other failure (the database's) is not decided twice (a commit
  whose answer was lost may have stored the response): Flask answers it 500, as its view would.
- Rate limits are the view's (`survey.SUBMIT_LIMITS`, from which its decorators are made): the
  same three limits, keys, scopes, order and storage as Flask-Limiter's decorators, so the form and the API keep sharing
  one count, hit once a request. A request handed on after its limits were hit carries them in
  its environ (`COUNTED`): Flask-Limiter leaves it alone (a request filter) and a breached limit
  is answered 429 by Flask, with Retry-After and the X-RateLimit-* headers as Flask-Limiter sets
  them. When the store fails, Flask's path counts the request (its own fallback and errors;
  a store failing between two of the three hits counts the first ones twice, once here). With
  limiter settings the layer does not reproduce (`_LIMITER_SETTINGS`: limits of the whole app,
  meta or default limits, an in-memory fallback, other header names), every submission is
  Flask's.

`SUBMIT_FAST_PATH = False` sends every request through Flask; tests compare the two.
"""

from __future__ import annotations

import io
import re
import time
import zlib
from dataclasses import dataclass

from flask import Flask, request
from itsdangerous import BadData
from itsdangerous.encoding import base64_decode
from limits import RateLimitItem, parse_many
from pydantic import ValidationError
from werkzeug.exceptions import InternalServerError, SecurityError, TooManyRequests
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_host

from ..access_log import mask
from ..errors import DomainError
from ..extensions import limiter

#: the route (api bp `/api/v1`, rule `/links/<token>/responses`: a token has no slash)
_ROUTE = re.compile(r"/api/v1/links/([^/]+)/responses")
#: environ key of a request whose limits were hit here (a client cannot send one: the server
#: names every header HTTP_*)
COUNTED = "surveyapp.submit_limits"
#: the largest session payload read (a cookie holds 4 KB; a larger inflated one is Flask's)
_MAX_SESSION = 64 * 1024
#: environ key of a request the layer failed on, for Flask to answer 500
FAILED = "surveyapp.submit_failed"
#: Flask-Limiter settings the layer does not reproduce (limits of the whole app, meta limits,
#: default limits, an in-memory fallback, other header names or an HTTP-date Retry-After): set,
#: every submission is Flask's
_LIMITER_SETTINGS = (
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_DEFAULT",
    "RATELIMIT_IN_MEMORY_FALLBACK",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
    "RATELIMIT_HEADER_LIMIT",
    "RATELIMIT_HEADER_REMAINING",
    "RATELIMIT_HEADER_RESET",
    "RATELIMIT_HEADER_RETRY_AFTER",
    "RATELIMIT_HEADER_RETRY_AFTER_VALUE",
)


@dataclass(frozen=True)
class Counted:
    """The limits hit for one request: the headers to send, and the breach, if any."""

    headers: tuple[tuple[str, str], ...]
    retry_after: int
    breached: bool


class SubmitPath:
    """WSGI: a customer's submission stored here when it can be, any other request Flask's."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self._parsed: dict[str, list[RateLimitItem]] = {}

    def __call__(self, environ, start_response):
        match = _ROUTE.fullmatch(environ.get("PATH_INFO", ""))
        # PATH_INFO is latin-1 text of the path's bytes; a token is ASCII (werkzeug decodes
        # anything else as UTF-8 for the view: Flask's)
        if match is None or environ.get("REQUEST_METHOD") != "POST" or not match[1].isascii():
            return self.wsgi_app(environ, start_response)
        config = self.app.config
        req = Request(environ)
        length = req.content_length
        if (
            not config.get("SUBMIT_FAST_PATH", True)
            or not req.is_json
            or length is None
            or length > (config.get("MAX_CONTENT_LENGTH") or length)
            or config.get("REMEMBER_COOKIE_NAME", "remember_token") in req.cookies
            or not _trusted(environ, config.get("TRUSTED_HOSTS"))
            or any(config.get(key) for key in _LIMITER_SETTINGS)
            or self._signed_in(req)
        ):
            return self.wsgi_app(environ, start_response)
        raw = environ["wsgi.input"].read(length)
        # Flask reads the same bytes again if it takes the request over
        environ["wsgi.input"] = io.BytesIO(raw)
        if len(raw) != length:  # the client sent less than it said: Flask's 400
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            answered = self._store(environ, req, match.group(1), raw)
        if answered is None:
            return self._flask(environ, start_response)
        return answered(environ, start_response)

    def _signed_in(self, req: Request) -> bool:
        """Whether the request's session may name a user (or be one Flask would renew): Flask's
        to know. A customer's phone brings a session too, holding only the survey page's CSRF
        token: anonymous, as Flask-Login finds it (web._signed_in_cookie)."""
        cookie = req.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        return cookie is not None and _may_name_a_user(cookie)

    def _store(self, environ, req: Request, token: str, raw: bytes):
        """The stored response's answer, or None for Flask to decide the request."""
        from ..services import actor, ledger
        from . import _security_headers
        from .api.responses import OnlineResponse, online_answer, store_online

        ledger.start_sealer(self.app)
        address = req.remote_addr
        try:
            counted = self._hit_limits(token, raw, address or "127.0.0.1")
        except Exception:  # the store is down: Flask-Limiter's fallback and errors decide
            return None
        if counted is not None:
            environ[COUNTED] = counted
            if counted.breached:
                return None
        who = actor.begin(actor.Actor(None, None, address))
        try:
            try:
                data = OnlineResponse.model_validate_json(raw)
                stored = store_online(token, data, address, req.headers.get("User-Agent", ""))
            except (DomainError, ValidationError):
                # refused (invalid, not open, closed, used): nothing was written; Flask decides
                # it again and answers in the error contract, in the reader's language
                return None
            except Exception:
                return self._failed(environ)
            try:
                resp = online_answer(stored, token, data.client_id)
                _security_headers(resp)
                resp.vary.add("Cookie")  # as Flask's session says of every answer it looked at
                if counted is not None:
                    _limit_headers(resp.headers, counted)
            except Exception:  # after the commit: never decided again
                return self._failed(environ)
            return resp
        finally:
            actor.end(who)

    def _failed(self, environ) -> None:
        """Not decided twice (a commit whose answer was lost may have stored the response): the
        error Flask's view would have answered, 500, logged as Flask logs one (the token masked,
        as the access log masks it)."""
        self.app.logger.exception("Exception on %s [POST]", mask(environ.get("PATH_INFO")))
        environ[FAILED] = True

    def _flask(self, environ, start_response):
        """Flask's answer; the limits' headers added when they were counted here."""
        counted = environ.get(COUNTED)
        if counted is None:
            return self.wsgi_app(environ, start_response)

        def with_limits(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if k.lower() != "retry-after"]
            return start_response(status, kept + list(_header_pairs(counted)), exc_info)

        return self.wsgi_app(environ, with_limits)

    def _items(self, text: str) -> list[RateLimitItem]:
        items = self._parsed.get(text)
        if items is None:
            items = self._parsed[text] = parse_many(text)
        return items

    def _hit_limits(self, token: str, raw: bytes, address: str) -> Counted | None:
        """Hit survey.submit_limits as Flask-Limiter's decorators do; None when limits are off."""
        from .survey import RATE_DEFAULTS, SUBMIT_LIMITS, client_key, link_key

        if not (limiter.enabled and limiter.initialized):
            return None
        config = self.app.config
        keys = {"link": link_key(token), "client": client_key(raw, address), "address": address}
        prefix = config.get("RATELIMIT_KEY_PREFIX") or ""
        limits = [
            (item, [*([prefix] if prefix else []), keys[whose], scope])
            for name, scope, whose in SUBMIT_LIMITS
            for item in self._items(config.get(name) or RATE_DEFAULTS[name])
        ]
        limits.sort(key=lambda pair: pair[0])  # as Flask-Limiter orders a route's limits
        strategy, header, breached = limiter.limiter, None, False
        for item, args in limits:
            if not strategy.hit(item, *args):
                header, breached = (item, args), True
                if config.get("RATELIMIT_FAIL_ON_FIRST_BREACH", True):
                    break
        header = header or limits[0]
        reset, remaining = strategy.get_window_stats(*header[:1], *header[1])
        reset_at = int(reset + 1)
        pairs: tuple[tuple[str, str], ...] = ()
        if config.get("RATELIMIT_HEADERS_ENABLED"):
            pairs = (
                ("X-RateLimit-Limit", str(header[0].amount)),
                ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", str(reset_at)),
            )
        return Counted(pairs, int(reset_at - time.time()), breached)


def _may_name_a_user(cookie: str) -> bool:
    """Whether a session cookie may name a signed-in user or be permanent, read from its
    payload without checking its signature (a tenth of a submission's CPU): the answer only
    decides who else looks. A payload naming neither is an anonymous caller whatever its
    signature (Flask reads a forged cookie as an empty session: anonymous too); one naming
    either, or one that does not decode, is Flask's, which checks the signature."""
    compressed = cookie.startswith(".")
    payload = cookie[1:] if compressed else cookie
    try:
        data = base64_decode(payload.split(".", 1)[0])
        if compressed:  # itsdangerous zlib-compresses a payload when that is shorter
            inflate = zlib.decompressobj()
            data = inflate.decompress(data, _MAX_SESSION)
            if inflate.unconsumed_tail:
                return True
    except (BadData, ValueError, zlib.error):
        return True
    return b'"_user_id"' in data or b'"_permanent"' in data


def _trusted(environ, hosts) -> bool:
    """Whether the request's Host is one Flask would serve (else Flask's 400)."""
    if hosts is None:
        return True
    try:
        get_host(environ, hosts)
    except SecurityError:
        return False
    return True


def _header_pairs(counted: Counted):
    yield from counted.headers
    if counted.headers:
        yield ("Retry-After", str(counted.retry_after))


def _limit_headers(headers, counted: Counted) -> None:
    for key, value in _header_pairs(counted):
        headers[key] = value


def exempt_counted() -> bool:
    """Flask-Limiter's request filter: a request whose limits were hit here is not hit again."""
    return COUNTED in request.environ


def answer_the_layer() -> None:
    """Flask's before_request: a request whose limit broke in the layer is answered 429, one
    it failed on 500, before the view runs (neither is decided twice)."""
    environ = request.environ
    counted = environ.get(COUNTED)
    if counted is not None and counted.breached:
        raise TooManyRequests(retry_after=max(counted.retry_after, 0))
    if environ.get(FAILED):
        raise InternalServerError()


limiter.request_filter(exempt_counted)
