"""What the ledger records for each kind of row (see services/ledger.py).

This is the lower layer: it registers one snapshot function per recorded table in SNAPSHOTS,
and the ledger (which appends and verifies the chain) reads that registry; nothing here
imports the ledger.

A snapshot takes an ORM row, a Core row or a plain mapping (bulk inserts use mappings; a key
left out of a mapping counts as NULL), so the same content is hashed whichever way the row
was written.

Personal data (the free-text comment and the encrypted contact) enters a snapshot only as a
SHA-256 digest — of the ciphertext for the contact, so the ledger cannot be used to confirm a
guessed phone number. Purging personal data after the retention period (services/privacy.py)
appends a new entry for each purged response whose content is the previously recorded content
with those digests set to null; the newest entry of a row is the one verified, so the chain
stays valid while the answers stay as they were recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ..models import Evaluation, Response, ResponseExclusion

#: table name -> (model, function(row) -> dict): the live snapshot that entries of that table
#: vouch for
SNAPSHOTS: dict[str, tuple[type, Callable[[object], dict]]] = {}


def snapshot(table: str, model: type):
    """Register how rows of a table are snapshotted for the ledger (decorator)."""

    def decorator(fn):
        SNAPSHOTS[table] = (model, fn)
        return fn

    return decorator


def _get(row, name):
    # a plain dict first: bulk loads snapshot a million of them, and the ABC check is slow
    if type(row) is dict:
        return row.get(name)
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name)


def _ts(value: datetime | None) -> str | None:
    # stored timestamps are UTC; SQLite gives them back at microsecond precision, as does PG
    if value is None:
        return None
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

    The comment and the encrypted contact are recorded as hashes only (PERSONAL_FIELDS), so
    that purging personal data after the retention period leaves the chain verifiable.
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
        "contact_sha256": _digest(_get(r, "contact_encrypted")),
        "excluded": bool(_get(r, "excluded")),
    }


#: snapshot keys holding digests of personal data, and the columns they digest
PERSONAL_FIELDS = {"comment_sha256": "comment", "contact_sha256": "contact_encrypted"}


def purged_content(recorded: dict) -> dict:
    """The recorded snapshot of a response after its personal data was purged."""
    return {**recorded, **dict.fromkeys(PERSONAL_FIELDS)}


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
