"""What the ledger records for each kind of row (see services/ledger.py).

A snapshot takes an ORM row or a plain mapping (bulk inserts use mappings), so the same
content is hashed whichever way the row was written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from ..models import Evaluation, Response, ResponseExclusion
from .ledger import snapshot


def _get(row, name):
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def _ts(value: datetime | None) -> str | None:
    # stored timestamps are UTC; SQLite gives them back at microsecond precision, as does PG
    if value is None:
        return None
    from datetime import UTC

    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _digest(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    return hashlib.sha256(value).hexdigest()


@snapshot("responses", Response)
def response_content(r) -> dict:
    """A response as recorded: answers, channel, outlet, times, exclusion state.

    The comment and the encrypted contact are recorded as hashes only, so that purging
    personal data after the retention period leaves the chain verifiable.
    """
    return {
        "campaign_id": _get(r, "campaign_id"),
        "outlet_id": _get(r, "outlet_id"),
        "link_id": _get(r, "link_id"),
        "channel": _get(r, "channel"),
        "client_id": _get(r, "client_id"),
        "auditor_id": _get(r, "auditor_id"),
        "started_at": _ts(_get(r, "started_at")),
        "submitted_at": _ts(_get(r, "submitted_at")),
        "answers": _get(r, "answers"),
        "comment_sha256": _digest(_get(r, "comment")),
        "excluded": bool(_get(r, "excluded")),
    }


@snapshot("response_exclusions", ResponseExclusion)
def exclusion_content(x) -> dict:
    """An exclusion or reinstatement: which response, what, who, when, why."""
    return {
        "response_id": _get(x, "response_id"),
        "action": _get(x, "action"),
        "reason": _get(x, "reason"),
        "user_id": _get(x, "user_id"),
        "at": _ts(_get(x, "at")),
    }


@snapshot("evaluations", Evaluation)
def evaluation_content(e) -> dict:
    """An evaluation's inputs, status and (when finalized) frozen result."""
    return {
        "campaign_id": _get(e, "campaign_id"),
        "status": _get(e, "status"),
        "input": _get(e, "input"),
        "result": _get(e, "result"),
        "survey": _get(e, "survey"),
        "scheme_sha256": _get(e, "scheme_sha256"),
        "supersedes_id": _get(e, "supersedes_id"),
        "finalized_at": _ts(_get(e, "finalized_at")),
    }
