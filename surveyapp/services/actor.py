"""Who is acting: set by the web layer (or a CLI command) for the use cases it calls.

Services never read `flask.request` or `flask_login.current_user`: the web layer puts the
signed-in user (or the API token's) and the client address here at the start of a request
and clears it at the end, so the audit log can name them and services stay callable from the
CLI, tests and jobs with an explicit actor or none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The user (None for a customer or the system) and the network address of a request."""

    user_id: int | None = None
    username: str | None = None
    ip: str | None = None


_ACTOR: ContextVar[Actor | None] = ContextVar("surveyapp_actor", default=None)


def current() -> Actor | None:
    """The actor of the running request or command, or None."""
    return _ACTOR.get()


def begin(actor: Actor) -> Token:
    """Make `actor` current; returns the token `end` needs."""
    return _ACTOR.set(actor)


def end(token: Token) -> None:
    """Restore the actor that was current before `begin`."""
    _ACTOR.reset(token)


@contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    """`with acting(Actor(...)):` — the actor for the use cases called inside."""
    token = begin(actor)
    try:
        yield actor
    finally:
        end(token)
