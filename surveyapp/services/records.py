"""What the ledger records for each kind of row (see services/ledger.py).

This is the lower layer: it declares, for every table whose rows decide or explain a level,
which fields its ledger snapshot holds (`LEDGERED`), and for every other column of those
tables why it is left out; every table that is not ledgered at all says why in `UNLEDGERED`.
A test (tests/unit/test_ledger_coverage.py) fails when a model gains a column or a table that
is neither recorded nor exempted with a reason, so coverage holds by construction.

A snapshot takes an ORM row, a Core row or a plain mapping (bulk inserts use mappings; a key
left out of a mapping counts as NULL), so the same content is hashed whichever way the row
was written.

Personal data (the free-text comment and the encrypted contact) enters a snapshot only as a
SHA-256 digest — of the ciphertext for the contact, so the ledger cannot be used to confirm a
guessed phone number. Purging personal data after the retention period (services/privacy.py)
appends a new entry for each purged response whose content is the previously recorded content
with those digests set to null; the newest entry of a row is the one verified, so the chain
stays valid while the answers stay as they were recorded.

Each ledgered row belongs to one chain (`Ledgered.chain`): its campaign's, or the system chain
(0) for users and organizations; a campaign's anchor covers everything that decided its level.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from ..models import (
    Campaign,
    Evaluation,
    Organization,
    Outlet,
    Response,
    ResponseExclusion,
    SurveyLink,
    User,
)
from ..models.campaigns import version_text

#: the chain of system-wide records (users, roles, organizations)
SYSTEM_CHAIN = 0


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


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _digest(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    return hashlib.sha256(value).hexdigest()


def _json_digest(value) -> str | None:
    """sha256 of a JSON document in canonical form (sorted keys): bulky documents such as a
    questionnaire enter the ledger by digest; the field still names what changed."""
    if value is None:
        return None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flag(value) -> bool:
    return bool(value)


def _ids(users) -> list[int]:
    return sorted(u.id for u in users or ())


def _same(value):
    return value


@dataclass(frozen=True)
class Field:
    """One key of a snapshot: read from `source` (a column or relationship), then encoded."""

    name: str
    source: str
    encode: Callable = _same
    #: a collection (grants): a change records the recorded ids with the added and removed
    #: ones applied, never the collection as loaded (which could carry a smuggled member)
    delta: bool = False


def F(name: str, encode: Callable = _same, source: str | None = None, delta: bool = False) -> Field:  # noqa: N802
    return Field(name, source or name, encode, delta)


@dataclass(frozen=True)
class Ledgered:
    """A ledgered table: its snapshot fields, its exempt columns with why, its chain."""

    table: str
    model: type
    fields: tuple[Field, ...]
    #: column -> why it is not in the snapshot
    exempt: Mapping[str, str] = field(default_factory=dict)
    #: the column holding the row's campaign (its chain); None: `chain_of` decides
    campaign_column: str | None = "campaign_id"
    #: for tables whose campaign is one join away: (row, connection) -> campaign id
    chain_of: Callable | None = None
    #: keys holding digests of personal data, and the columns they digest
    personal: Mapping[str, str] = field(default_factory=dict)
    #: exempt columns that copy a recorded one: column -> (foreign key column, the ledgered
    #: table it names, the column copied); verification checks each copy equals its source
    copies: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    #: exempt columns derived from a recorded column of the same row: column -> (the recorded
    #: column, the function giving the derived value); verification checks each row's
    derived: Mapping[str, tuple[str, Callable]] = field(default_factory=dict)

    def snapshot(self, row) -> dict:
        return {f.name: f.encode(_get(row, f.source)) for f in self.fields}

    def chain(self, row, connection=None) -> int:
        if self.chain_of is not None:
            return self.chain_of(row, connection)
        if self.campaign_column is None:
            return SYSTEM_CHAIN
        return int(_get(row, self.campaign_column))

    def sources(self) -> set[str]:
        return {f.source for f in self.fields}

    def read_columns(self) -> list[str]:
        """The columns verification and migration read of a row (its id, the snapshot's
        sources, the chain's column), in table order: not every column, so that a migration
        written before a column was added still reads the table as it stood then."""
        wanted = {"id", *self.sources(), *self.personal.values()}
        if self.campaign_column:
            wanted.add(self.campaign_column)
        return [c.name for c in self.model.__table__.columns if c.name in wanted]

    @property
    def needs_orm(self) -> bool:
        """A snapshot that reads relationships: verification reads ORM objects, not Core rows."""
        columns = set(self.model.__table__.columns.keys())
        return not self.sources() <= columns


def _exclusion_campaign(row, connection) -> int:
    response = getattr(row, "response", None) if not isinstance(row, Mapping) else None
    if response is not None:
        return int(response.campaign_id)
    return int(
        connection.execute(
            select(Response.campaign_id).where(Response.id == _get(row, "response_id"))
        ).scalar_one()
    )


LEDGERED: dict[str, Ledgered] = {}


def _register(spec: Ledgered) -> Ledgered:
    LEDGERED[spec.table] = spec
    return spec


RESPONSES = _register(
    Ledgered(
        "responses",
        Response,
        (
            F("campaign_id"),
            F("outlet_id"),
            F("link_id"),
            F("channel"),
            F("client_id"),
            F("auditor_id"),
            F("started_at", _ts),
            F("submitted_at", _ts),
            # paradata: they drive the speeding, burst and network flags
            F("duration_s"),
            F("fingerprint"),
            F("network"),
            F("answers"),
            F("comment_sha256", _digest, "comment"),
            F("contact_sha256", _digest, "contact_encrypted"),
            F("contact_consent", _flag),
            F("contact_share", _flag),
            F("receipt_sha256"),
            F("excluded", _flag),
        ),
        exempt={"id": "the entry's row id"},
        personal={"comment_sha256": "comment", "contact_sha256": "contact_encrypted"},
    )
)

_register(
    Ledgered(
        "response_exclusions",
        ResponseExclusion,
        (F("response_id"), F("action"), F("reason"), F("user_id"), F("at", _ts)),
        exempt={
            "id": "the entry's row id",
            "campaign_id": "the response's campaign (recorded with the response), copied for "
            "the caches' fingerprint only: which campaign's caches an exclusion renews",
        },
        campaign_column=None,
        chain_of=_exclusion_campaign,
        copies={"campaign_id": ("response_id", "responses", "campaign_id")},
    )
)

_register(
    Ledgered(
        "evaluations",
        Evaluation,
        (
            F("campaign_id"),
            F("status"),
            F("input"),
            F("result"),
            F("survey"),
            F("scheme_sha256"),
            F("supersedes_id"),
            F("finalized_at", _ts),
            F("finalized_by_id"),
            F("updated_by_id"),
            F("created_at", _ts),
        ),
        exempt={
            "id": "the entry's row id",
            "updated_at": "changes on every draft save; each save's content is its own entry",
        },
    )
)

_register(
    Ledgered(
        "campaigns",
        Campaign,
        (
            F("organization_id"),
            F("scheme_id"),
            F("title"),
            F("evaluation_date", _day),
            F("opens_at", _ts),
            F("closes_at", _ts),
            F("status"),
            F("questionnaire_sha256", _json_digest, "questionnaire"),
            F("survey_params"),
            F("created_at", _ts),
            F("created_by_id"),
            # grants: who may audit the campaign and who may read it
            F("auditor_ids", _ids, "auditors", delta=True),
            F("viewer_ids", _ids, "viewers", delta=True),
        ),
        exempt={
            "id": "the entry's row id",
            "questionnaire_version": "the questionnaire's version (recorded in it), kept as "
            "text beside it for the submission guard's comparison",
        },
        campaign_column="id",
        derived={"questionnaire_version": ("questionnaire", version_text)},
    )
)

_register(
    Ledgered(
        "outlets",
        Outlet,
        (F("campaign_id"), F("name"), F("address"), F("active", _flag), F("created_at", _ts)),
        exempt={"id": "the entry's row id"},
    )
)

_register(
    Ledgered(
        "survey_links",
        SurveyLink,
        (
            F("token_sha256", _digest, "token"),
            F("campaign_id"),
            F("outlet_id"),
            F("single_use", _flag),
            F("batch"),
            F("label"),
            F("used_at", _ts),
            F("revoked_at", _ts),
            F("created_at", _ts),
        ),
        exempt={"id": "the entry's row id"},
    )
)

_register(
    Ledgered(
        "users",
        User,
        (
            F("username"),
            F("role"),
            F("display_name"),
            F("active", _flag),
            F("sees_all", _flag),
            F("must_change_password", _flag),
            # a hash written straight into the table would let someone sign in as the user
            F("password_sha256", _digest, "password_hash"),
            F("created_at", _ts),
        ),
        exempt={
            "id": "the entry's row id",
            "locked_until": "sign-in throttling state; it only refuses sign-ins for a while",
            "session_epoch": "raised on every sign-out; raising it only ends sessions",
        },
        campaign_column=None,
    )
)

_register(
    Ledgered(
        "organizations",
        Organization,
        (F("name"), F("operating_since", _day), F("created_at", _ts)),
        exempt={"id": "the entry's row id"},
        campaign_column=None,
    )
)

#: tables that are not ledgered, and why (the coverage test requires a reason for each)
UNLEDGERED: dict[str, str] = {
    "ledger_entries": "the ledger itself",
    "ledger_batches": "the ledger's sealed batches (verified by their Merkle roots)",
    "audit_log": "who did what, for people; the ledger proves the records themselves",
    "api_tokens": "credentials (stored as hashes); revoking one only refuses access",
    "login_failures": "sign-in throttling counters",
    "known_addresses": "sign-in throttling: addresses a user signed in from",
    "followups": "the company's call-back workflow; it decides no level",
    "campaign_auditors": "grants: recorded in the campaign's snapshot (auditor_ids)",
    "campaign_viewers": "grants: recorded in the campaign's snapshot (viewer_ids)",
    "alembic_version": "schema version",
    "questionnaires": "a library of designs; a campaign freezes the one it uses (ledgered by digest)",
}


def spec_for(table: str) -> Ledgered:
    return LEDGERED[table]


def response_content(r) -> dict:
    """A response as recorded: answers, channel, outlet, times, paradata, exclusion state.

    The comment and the encrypted contact are recorded as hashes only (PERSONAL_FIELDS), so
    that purging personal data after the retention period leaves the chain verifiable.
    """
    return RESPONSES.snapshot(r)


#: snapshot keys holding digests of personal data, and the columns they digest
PERSONAL_FIELDS = dict(RESPONSES.personal)


def purged_content(recorded: dict) -> dict:
    """The recorded snapshot of a response after its personal data was purged."""
    return {**recorded, **dict.fromkeys(PERSONAL_FIELDS)}
