"""Survey responses: validate one submission and store it, all or nothing, with its paradata.

Rules (DOMAIN.md, issue 4): every answer in range for its question's kind; no unknown
question; every required question answered or marked not applicable (null); at least the
scheme's share of scored questions answered (the validity rule, default half); a contact
only with consent. A retry with the same client_id returns the stored response (idempotent);
a single-use link is consumed with `UPDATE … WHERE used_at IS NULL` in the same transaction
as the response and its ledger entry, so a link can never count twice.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    cast,
    false,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import questionnaire as qbank
from ..db import DriverStatement, db, utcnow, write_gate
from ..errors import DomainError, Problem
from ..models import Campaign, LedgerEntry, Outlet, Response, SurveyLink, User
from ..question_kinds import kind_of
from ..question_kinds.base import as_int
from ..scoring.numbers import answers_needed
from . import audit, ledger, privacy, records, text
from .bounds import ID_MAX

MAX_COMMENT = 2000
MAX_CONTACT = 100
#: a started-at stamp older than this is ignored (the page was left open overnight)
START_MAX_AGE = timedelta(hours=12)
CLIENT_ID_PATTERN = r"[A-Za-z0-9_.:-]{8,64}"  #: also the API schema's pattern
_CLIENT_ID = re.compile(f"^{CLIENT_ID_PATTERN}$")


@dataclass(frozen=True)
class Submission:
    """One submission as received: raw answers by question id (None = not applicable)."""

    answers: Mapping[str, object]
    comment: str | None = None
    client_id: str | None = None
    contact: str | None = None
    contact_consent: bool = False
    #: the separate consent to pass the contact to the certified company (needs the first)
    contact_share: bool = False
    started_at: datetime | None = None
    #: when an interview kept on a device without signal was finished (sent later): stored as
    #: its submission time when it lies between its start and now
    completed_at: datetime | None = None
    address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Stored:
    """The stored response's id; created is False when a retry found the earlier one; reused
    when it came through a single-use link someone had already answered (stored, flagged as a
    duplicate for review: never thrown away)."""

    id: int
    created: bool
    reused: bool = False
    #: the receipt code of an online response with a client id (see receipt_code)
    receipt: str | None = None


# ── readers ──────────────────────────────────────────────────────────────────────────────


#: parsed frozen questionnaires, by what names one (see `_parse_once`): a campaign's frozen
#: questionnaire never changes, and parsing it on every submission is wasted work
_PARSED: dict[tuple, tuple[object, qbank.Questionnaire]] = {}
_QUESTIONNAIRE_CACHE_SIZE = 256


def _parse_once(key: tuple, identity: object, make) -> qbank.Questionnaire:
    """The parse cached under `key`, while what it was made from still has `identity`; else
    `make()` (another database's campaign under the same id is a miss, never a stale hit)."""
    hit = _PARSED.get(key)
    if hit is not None and hit[0] == identity:
        return hit[1]
    parsed = make()
    if len(_PARSED) >= _QUESTIONNAIRE_CACHE_SIZE:
        _PARSED.clear()
    _PARSED[key] = (identity, parsed)
    return parsed


def _questionnaire_shape(data) -> tuple:
    """What a cached parse must agree with: the question ids and kinds, in order."""
    questions = data.get("questions") if isinstance(data, Mapping) else None
    if not isinstance(questions, list):
        return ()
    return tuple(
        (q.get("id"), q.get("kind"), q.get("required")) if isinstance(q, Mapping) else (None,)
        for q in questions
    )


def questionnaire_for(campaign: Campaign) -> qbank.Questionnaire:
    """The questionnaire frozen in the campaign (parsed once per campaign and version).

    The key is the campaign id and the questionnaire's version (the bank file's sha256); the
    cached parse is also checked against the question ids, kinds and required flags, so a
    different questionnaire under the same key (another database, a rewritten draft) is
    parsed afresh instead of served stale.
    """
    data = campaign.questionnaire
    if campaign.id is None or not isinstance(data, Mapping):
        return qbank.from_frozen(data)
    key = ("frozen", campaign.id, str(data.get("version", "")))
    return _parse_once(key, _questionnaire_shape(data), lambda: qbank.from_frozen(data))


def find_link(token: str) -> SurveyLink | None:
    """The survey link of a token, or None (tokens are compared as stored, never parsed)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(_LINK_BY_TOKEN, {"token": token})


@dataclass(frozen=True, slots=True)
class LinkCard:
    """What storing a response needs of a link and its campaign (status and window included,
    so `check_open` takes it as it takes a campaign), read without loading either object."""

    id: int
    token: str
    campaign_id: int
    outlet_id: int
    single_use: bool
    used_at: datetime | None
    revoked_at: datetime | None
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    #: the frozen questionnaire's version as stored beside it (what the guard compares)
    version: str
    questionnaire: qbank.Questionnaire


def find_card(token: str) -> LinkCard | None:
    """The card of a token's link as stored now, or None: one small query (no ORM objects,
    the questionnaire read as text and parsed once per campaign). Remembered for `known_card`."""
    if not token or len(token) > 64:
        return None
    row = db.session.connection().execute(_CARD_BY_TOKEN, {"token": token}).first()
    if row is None:
        _CARDS.pop(token, None)
        return None
    *fields, raw = row
    parsed = _parse_once(("text", row.campaign_id), raw, lambda: qbank.from_frozen(json.loads(raw)))
    card = LinkCard(*fields, questionnaire=parsed)
    if len(_CARDS) >= _CARDS_SIZE:
        _CARDS.clear()
    _CARDS[token] = card
    return card


def known_card(token: str) -> LinkCard | None:
    """The card read last for this token in this process, else `find_card`.

    What a link never changes (its id, campaign, outlet, single use) and its campaign's
    questionnaire (frozen once collecting starts) are sound; its status, window and
    revocation may be stale, so a response through a remembered card is stored by the
    guarded insert, which checks them in its own statement (`_GUARD`), and a refusal is
    decided on the card read again.
    """
    card = _CARDS.get(token)
    return card if card is not None else find_card(token)


#: token → its card as last read (see known_card): the outlet QR codes a campaign prints are
#: few and busy; single-use codes pass once and are dropped with the rest when it fills
_CARDS: dict[str, LinkCard] = {}
_CARDS_SIZE = 4096


#: built once (statement construction costs more CPU than running it); the campaign comes
#: with the link in the same query, every submission needs both
_LINK_BY_TOKEN = (
    select(SurveyLink)
    .options(joinedload(SurveyLink.campaign))
    .where(SurveyLink.token == bindparam("token"))
)
_LINKS, _CAMPAIGNS = SurveyLink.__table__, Campaign.__table__
#: the frozen questionnaire's version (kept beside it, `version_text`), the same in the card
#: and in the guard: a column, not the questionnaire's JSON, which PostgreSQL would parse
#: whole (8.8 KB) in every guarded insert
_VERSION = _CAMPAIGNS.c.questionnaire_version
_CARD_BY_TOKEN = (
    select(
        *(_LINKS.c[n] for n in ("id", "token", "campaign_id", "outlet_id", "single_use")),
        *(_LINKS.c[n] for n in ("used_at", "revoked_at")),
        *(_CAMPAIGNS.c[n] for n in ("status", "opens_at", "closes_at")),
        _VERSION.label("version"),
        cast(_CAMPAIGNS.c.questionnaire, Text).label("questionnaire"),
    )
    .join_from(_LINKS, _CAMPAIGNS, _LINKS.c.campaign_id == _CAMPAIGNS.c.id)
    .where(_LINKS.c.token == bindparam("token"))
)
_RESPONSES = Response.__table__
_COLUMNS = [c.name for c in _RESPONSES.c if c.name != "id"]
#: what a response through a remembered card needs to be true as it is inserted: the link is
#: the card's, not revoked, not single-use, its campaign collecting inside its window, with the
#: card's questionnaire (by version, the content hash the frozen questionnaire carries)
_GUARD = (
    select(literal_column("1"))
    .select_from(_LINKS.join(_CAMPAIGNS, _LINKS.c.campaign_id == _CAMPAIGNS.c.id))
    .where(
        _LINKS.c.id == bindparam("g_link", type_=Integer),
        _LINKS.c.token == bindparam("g_token", type_=String),
        _LINKS.c.campaign_id == bindparam("campaign_id", type_=Integer),
        _LINKS.c.outlet_id == bindparam("outlet_id", type_=Integer),
        _LINKS.c.single_use == false(),
        _LINKS.c.revoked_at.is_(None),
        _CAMPAIGNS.c.status == "collecting",
        or_(_CAMPAIGNS.c.opens_at.is_(None), _CAMPAIGNS.c.opens_at <= bindparam("g_now")),
        or_(_CAMPAIGNS.c.closes_at.is_(None), _CAMPAIGNS.c.closes_at > bindparam("g_now")),
        bindparam("g_version", type_=String) == _VERSION,
    )
    .exists()
)


def _new_response(guarded: bool):
    """INSERT … VALUES, or (guarded) INSERT … SELECT … WHERE the guard holds: no row when not."""
    if not guarded:
        return _RESPONSES.insert().values(
            {n: bindparam(n, type_=_RESPONSES.c[n].type) for n in _COLUMNS}
        )
    values = select(*(bindparam(n, type_=_RESPONSES.c[n].type) for n in _COLUMNS)).where(_GUARD)
    return _RESPONSES.insert().from_select(_COLUMNS, values)


#: the response alone (SQLite, where its ledger entry is a second statement), by guarded
_INSERT_RESPONSE = {g: _new_response(g).returning(_RESPONSES.c.id) for g in (False, True)}
_ENTRIES = LedgerEntry.__table__
#: the entry beside a response (SQLite); its id is not needed: no RETURNING to read back
_ENTRY = _ENTRIES.insert().values(
    {n: bindparam(n, type_=_ENTRIES.c[n].type) for n in ledger.ENTRY_FIELDS}
)


def _with_entry(new_response):
    """PostgreSQL: the response and its ledger entry in one round trip (a data-modifying CTE);
    no entry when the response was not inserted (its guard failed)."""
    inserted = new_response.returning(_RESPONSES.c.id).cte("new_response")
    return (
        _ENTRIES.insert()
        .from_select(
            list(ledger.ENTRY_FIELDS),
            select(
                bindparam("l_chain", type_=Integer),
                literal_column("'response'"),
                literal_column("'responses'"),
                inserted.c.id,
                bindparam("l_content", type_=Text),
                bindparam("l_hash", type_=String),
                bindparam("l_created", type_=_ENTRIES.c.created_at.type),
            ),
        )
        .returning(_ENTRIES.c.row_id)
    )


#: PostgreSQL: the response and its ledger entry in one statement, by guarded
_INSERT_RESPONSE_AND_ENTRY = {g: _with_entry(_new_response(g)) for g in (False, True)}
_DRIVER_RESPONSE = {g: DriverStatement(s) for g, s in _INSERT_RESPONSE.items()}
_DRIVER_BOTH = {g: DriverStatement(s) for g, s in _INSERT_RESPONSE_AND_ENTRY.items()}
_DRIVER_ENTRY = DriverStatement(_ENTRY)
_TAKE_SINGLE_USE = (
    update(SurveyLink.__table__)
    .where(
        SurveyLink.__table__.c.id == bindparam("link_id"),
        SurveyLink.__table__.c.used_at.is_(None),
        SurveyLink.__table__.c.revoked_at.is_(None),
    )
    .values(used_at=bindparam("used_at"))
)


def open_link(token: str) -> SurveyLink:
    """The link of a token that can take a response now; DomainError saying why not."""
    link = find_link(token)
    if link is None:
        raise DomainError("bad_token")
    check_open(link.campaign)
    check_link(link)
    return link


def check_open(campaign: Campaign | LinkCard, now: datetime | None = None) -> None:
    """Raise unless the campaign is collecting and inside its open/close window."""
    now = now or utcnow()
    if campaign.status == "draft" or (campaign.opens_at and now < campaign.opens_at):
        raise DomainError("campaign_not_open")
    if campaign.status != "collecting" or (campaign.closes_at and now >= campaign.closes_at):
        raise DomainError("campaign_closed")


def check_link(link: SurveyLink | LinkCard, *, used_ok: bool = False) -> None:
    """Raise when the link is revoked, or single-use and already used (unless `used_ok`: a
    submission through a used code is kept as a second use, see `_write`)."""
    if link.revoked_at is not None:
        raise DomainError("link_revoked")
    if link.single_use and link.used_at is not None and not used_ok:
        raise DomainError("link_used")


def existing_response(campaign_id: int, client_id: str | None) -> int | None:
    """The id of the response stored earlier under this client_id, or None."""
    if not client_id:
        return None
    return db.session.scalar(
        select(Response.id).where(
            Response.campaign_id == campaign_id, Response.client_id == client_id
        )
    )


# ── validation (pure) ────────────────────────────────────────────────────────────────────


def validate_answers(
    questionnaire: qbank.Questionnaire,
    answers: Mapping[str, object],
    comment: str | None = None,
) -> tuple[list[int | None], str | None]:
    """Check answers against the questionnaire; return (values in order, comment) or raise.

    Each kind checks its answers (surveyapp/question_kinds): likert 1–5, nps 0–10, single one
    option's code, multiple a list of codes, each or None (不适用); text a string (kept apart).
    A required question must be present (None = 不适用 counts as answered). Only malformed
    input is refused: a customer who honestly marks most questions 不适用 is stored, and the
    survey math counts the response invalid (DOMAIN.md "Valid response"; CONTRACT December).
    """
    if not isinstance(answers, Mapping):
        raise DomainError("not_an_object", "answers")
    problems = _unknown_questions(questionnaire, answers)
    values, comment = _answer_values(questionnaire, answers, comment, problems)
    comment = _clean_comment(comment, problems)
    if problems:
        code, first, p = _reported_problem(problems)
        raise DomainError(code, first, fields=problems, **p.params)
    return values, comment


def _unknown_questions(
    questionnaire: qbank.Questionnaire, answers: Mapping[str, object]
) -> dict[str, Problem]:
    """An unknown_question problem for each answer to a question not in the questionnaire."""
    problems: dict[str, Problem] = {}
    by_id = questionnaire.by_id
    for qid in answers:
        if qid not in by_id:
            problems[str(qid)] = Problem("unknown_question")
    return problems


def _answer_values(
    questionnaire: qbank.Questionnaire,
    answers: Mapping[str, object],
    comment: str | None,
    problems: dict[str, Problem],
) -> tuple[list, str | None]:
    """Each question's checked value in order (None = n/a, text or hidden), problems as found.

    Each kind checks its own answer (surveyapp/question_kinds). A question whose display
    condition does not hold is hidden: not required, and an answer sent for it is not kept.
    A text answer becomes the comment when no comment was given.
    """
    conditions = questionnaire.conditions
    shown: dict[str, object] = {}  # the answers display logic compares, by question id
    values: list = []
    for q in questionnaire.questions:
        it = kind_of(q)
        condition = conditions.get(q.id)
        if condition is not None and not condition.holds(shown.get(condition.question)):
            values.append(None)
            continue
        if q.id not in answers:
            if q.required:
                problems[q.id] = Problem("answer_required")
            values.append(None)
            continue
        value = it.value(q, answers[q.id], problems)
        if it.answer == "text":
            if value is not None and (comment is None or not comment.strip()):
                comment = value
            value = None
        shown[q.id] = it.compared(value)
        values.append(value)
    return values, comment


def pack(questionnaire: qbank.Questionnaire, values: list) -> str:
    """Checked values in order as the packed answers string (each kind encodes its own)."""
    return "".join(
        kind_of(q).encode(q, v) for q, v in zip(questionnaire.questions, values, strict=True)
    )


def _clean_comment(comment: object, problems: dict[str, Problem]) -> str | None:
    """The comment stripped (empty = None); too long or unstorable text adds a problem."""
    if comment is None:
        return None
    if not isinstance(comment, str):
        problems["comment"] = Problem("not_text")
        return None
    comment = comment.strip() or None
    if comment and len(comment) > MAX_COMMENT:
        problems["comment"] = Problem("too_long", {"max": MAX_COMMENT})
    elif comment and not text.storable(comment):
        problems["comment"] = Problem("invalid_text")
    return comment


def _reported_problem(problems: dict[str, Problem]) -> tuple[str, str, Problem]:
    """(code, field, problem) the refusal leads with: an unknown question first, else the first."""
    first = next(iter(problems))
    p = problems[first]
    code = (
        "unknown_question"
        if any(x.code == "unknown_question" for x in problems.values())
        else p.code
    )
    if code == "unknown_question":
        first = next(k for k, x in problems.items() if x.code == "unknown_question")
        p = problems[first]
    return code, first, p


@dataclass(frozen=True)
class Coverage:
    """How many scored questions a submission answers, against how many validity needs."""

    answered: int
    scored: int
    needed: int

    @property
    def enough(self) -> bool:
        """True when the response will count (if no auditor excludes it)."""
        return self.scored == 0 or self.answered >= self.needed


def coverage(campaign: Campaign, answers: Mapping[str, object]) -> Coverage:
    """Scored questions answered (not 不适用) in raw answers, and the number validity needs."""
    questionnaire = questionnaire_for(campaign)
    scored = [q for q in questionnaire.questions if q.scored]
    answered = sum(1 for q in scored if answers.get(q.id) is not None)
    fraction = float((campaign.survey_params or {}).get("min_answered_fraction", 0.5))
    return Coverage(answered, len(scored), answers_needed(fraction, len(scored)))


def _contact(sub: Submission) -> bytes | None:
    contact = (sub.contact or "").strip()
    if not contact:
        return None
    if not sub.contact_consent:
        raise DomainError(
            "contact_without_consent",
            "contact",
            fields={"contact": Problem("contact_without_consent")},
        )
    if not text.storable(contact):
        raise DomainError("invalid_text", "contact", fields={"contact": Problem("invalid_text")})
    if len(contact) > MAX_CONTACT:
        limit = {"max": MAX_CONTACT}
        raise DomainError(
            "too_long", "contact", fields={"contact": Problem("too_long", limit)}, **limit
        )
    return privacy.encrypt_contact(contact)


def _client_id(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise DomainError("invalid_client_id", "client_id")
    return value


# ── paradata ─────────────────────────────────────────────────────────────────────────────


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-started")


def start_stamp(scope: str) -> str:
    """A signed 'questionnaire served now' stamp for a form (scope: link or interview)."""
    return _serializer().dumps({"s": scope})


def read_start_stamp(stamp: str | None, scope: str, now: datetime | None = None) -> datetime | None:
    """The server time a stamp was issued, if it is genuine, for this scope and recent."""
    if not stamp or not isinstance(stamp, str) or len(stamp) > 300 or not text.storable(stamp):
        return None
    try:
        payload, issued = _serializer().loads(
            stamp, max_age=int(START_MAX_AGE.total_seconds()), return_timestamp=True
        )
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("s") != scope:
        return None
    issued = issued if issued.tzinfo else issued.replace(tzinfo=UTC)
    return min(issued, now or utcnow())


def link_scope(link: SurveyLink | LinkCard) -> str:
    """The stamp scope of an online link."""
    return f"link:{link.id}"


def interview_scope(campaign_id: int, outlet_id: int, auditor_id: int) -> str:
    """The stamp scope of an in-person interview."""
    return f"interview:{campaign_id}:{outlet_id}:{auditor_id}"


def _salt() -> str:
    """The secret the paradata digests are keyed with (FINGERPRINT_SALT, else from the key)."""
    config = current_app.config
    return config.get("FINGERPRINT_SALT") or _derived_salt(str(config["SECRET_KEY"]))


@functools.lru_cache(maxsize=4)
def _derived_salt(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"response-fingerprint", hashlib.sha256).hexdigest()


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


def fingerprint(address: str | None, user_agent: str | None) -> str | None:
    """sha256(secret salt | address | user agent): spots bursts from one device, not reversible."""
    if not address and not user_agent:
        return None
    return hashlib.sha256(f"{_salt()}|{address or ''}|{user_agent or ''}".encode()).hexdigest()


def network(address: str | None) -> str | None:
    """sha256(secret salt | net | the address's network): the same for every post from one
    IPv4 /24 (or IPv6 /64), whatever user agent a script rotates through and whichever address
    of its block it takes; not reversible. Text that is not an address hashes as itself."""
    if not address:
        return None
    stripped = address.strip()
    if _IPV4.match(stripped):  # what ipaddress would say, without parsing it twice
        block = stripped.rsplit(".", 1)[0] + ".0/24"
    else:
        try:
            ip = ipaddress.ip_address(stripped)
        except ValueError:
            block = address
        else:
            prefix = 24 if ip.version == 4 else 64
            block = str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return hashlib.sha256(f"{_salt()}|net|{block}".encode()).hexdigest()


# ── writes ───────────────────────────────────────────────────────────────────────────────


def _build(
    campaign_id: int,
    questionnaire: qbank.Questionnaire,
    sub: Submission,
    client_id: str | None,
    **kw,
) -> dict:
    """The validated response as column values (every column given: the ledger hashes them)."""
    values, comment = validate_answers(questionnaire, sub.answers, sub.comment)
    contact = _contact(sub)
    now = utcnow()
    started = sub.started_at if sub.started_at is not None and sub.started_at <= now else None
    done = sub.completed_at
    if done is not None and not ((started or done) <= done <= now):
        done = None
    now = done or now
    row = {
        "campaign_id": campaign_id,
        "outlet_id": None,
        "link_id": None,
        "channel": None,
        "client_id": client_id,
        "auditor_id": None,
        "started_at": started,
        "submitted_at": now,
        "duration_s": round((now - started).total_seconds(), 3) if started else None,
        "fingerprint": fingerprint(sub.address, sub.user_agent),
        "network": network(sub.address),
        "answers": pack(questionnaire, values),
        "comment": comment,
        "contact_encrypted": contact,
        "contact_consent": bool(sub.contact_consent and contact is not None),
        "contact_share": bool(sub.contact_share and sub.contact_consent and contact is not None),
        "receipt_sha256": None,
        "excluded": False,
    }
    row.update(kw)
    return row


def _store(row: dict, single_use: int | None, guard: dict | None = None) -> Stored | None:
    """Consume the single-use link (its id), insert, record in the ledger, commit — or nothing.

    With `guard` (a remembered card's link, see `known_card`) the insert checks the link and
    campaign in the same statement, and None means it refused: nothing was written.
    The ledger content and its hash are computed before the first write; the entry takes no
    lock (services/ledger.py), so submissions to one campaign commit in parallel. A client_id
    stored earlier is found by the unique constraint, not by a query beforehand.
    """
    prepared = ledger.prepare(records.response_content(row))
    if single_use is None and row["auditor_id"] is None and not _session_in_transaction():
        # nothing else to write and the session holds no connection: a second connection
        # beside the session's would be two per request (a full pool would wait on itself)
        return _write_alone(row, prepared, guard)
    with write_gate():
        return _write(row, single_use, prepared, guard)


def _insert(row: dict, prepared: ledger.Prepared, guard: dict | None, cursor=None) -> int | None:
    """Insert the response and its ledger entry: one statement on PostgreSQL, two elsewhere;
    None when the guard refused the response (then nothing was inserted).

    On `cursor` (a DBAPI cursor), else in the ORM session's transaction, through statements
    compiled once (`DriverStatement`): no compile-cache lookup or execution context each time.
    """
    if cursor is None:
        cursor = db.session.connection().connection.cursor()
        try:
            return _insert(row, prepared, guard, cursor)
        finally:
            cursor.close()
    dialect = db.engine.dialect
    params = _insert_params(row, prepared, guard, with_entry=dialect.name == "postgresql")
    if dialect.name == "postgresql":
        found = _DRIVER_BOTH[guard is not None].execute(cursor, dialect, params).fetchone()
        return None if found is None else found[0]
    found = _DRIVER_RESPONSE[guard is not None].execute(cursor, dialect, params).fetchone()
    if found is None:
        return None
    entry = ledger.entry_values("response", "responses", found[0], prepared, row["campaign_id"])
    _DRIVER_ENTRY.execute(cursor, dialect, entry)
    return found[0]


def _insert_params(
    row: dict, prepared: ledger.Prepared, guard: dict | None, *, with_entry: bool
) -> dict:
    """The parameters of the response's insert (`_INSERT_RESPONSE`), or, `with_entry`, of the
    insert that also writes its ledger entry (`_INSERT_RESPONSE_AND_ENTRY`)."""
    params = row if guard is None else {**row, **guard}
    if not with_entry:
        return params
    return {
        **params,
        "l_chain": row["campaign_id"],
        "l_content": prepared.content,
        "l_hash": prepared.content_hash,
        "l_created": utcnow(),
    }


def _refusals() -> tuple[type[Exception], ...]:
    """The integrity errors a refused insert raises: SQLAlchemy's (the ORM's flush) and the
    driver's (the inserts run on its cursor)."""
    return (IntegrityError, db.engine.dialect.loaded_dbapi.IntegrityError)


def _write(
    row: dict, single_use: int | None, prepared: ledger.Prepared, guard: dict | None
) -> Stored | None:
    try:
        if single_use is not None:
            taken = db.session.execute(
                _TAKE_SINGLE_USE, {"link_id": single_use, "used_at": row["submitted_at"]}
            )
            if taken.rowcount != 1:
                # another phone answered this code first: this answer is kept too, flagged as
                # a second use (a retry of the first one finds it by its client_id instead)
                db.session.rollback()
                stored = _write(row, None, prepared, guard)
                return replace(stored, reused=stored.created) if stored else None
            link = db.session.get(SurveyLink, single_use)
            ledger.record_change("link.use", "survey_links", link, {"used_at": row["submitted_at"]})
        row_id = _insert(row, prepared, guard)
        if row_id is None:
            db.session.rollback()
            return None
        if row["auditor_id"] is not None:
            # an auditor's change of the record is audited; customers' own answers are not
            audit.record(
                "response.in_person",
                target=f"response:{row_id}",
                detail={"campaign_id": row["campaign_id"], "outlet_id": row["outlet_id"]},
                user_id=row["auditor_id"],
                commit=False,
            )
        db.session.commit()
    except _refusals() as err:
        db.session.rollback()
        return _earlier_or_raise(err, row["campaign_id"], row["client_id"])
    except BaseException:
        db.session.rollback()
        raise
    return Stored(row_id, True)


def _session_in_transaction() -> bool:
    """Whether this request's ORM session holds a transaction (without making a session to
    ask: a request that never used one has none)."""
    return db.session.registry.has() and db.session().in_transaction()


def _write_alone(row: dict, prepared: ledger.Prepared, guard: dict | None) -> Stored | None:
    """A response that writes nothing else (online, multi-use link): the inserts in a short
    transaction of their own on a pooled DBAPI connection, not the ORM session's (it holds no
    object to flush). Only the inserts and the commit (or rollback) hold the write gate: the
    other workers' writes wait on it, not on this one's pool checkout and return. The
    connection is back in the pool before a refused client_id looks up its earlier response
    (that read takes a connection of its own: holding both would be two per request)."""
    engine = db.engine
    refused = None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            with write_gate():
                try:
                    row_id = _insert(row, prepared, guard, cursor)
                    raw.commit()
                except BaseException:
                    raw.rollback()
                    raise
        finally:
            cursor.close()
    except _refusals() as err:
        refused = err
    finally:
        raw.close()
    if refused is not None:
        return _earlier_or_raise(refused, row["campaign_id"], row["client_id"])
    return None if row_id is None else Stored(row_id, True)


def _earlier_or_raise(err: Exception, campaign_id: int, client_id: str | None) -> Stored:
    """A refused retry of a response stored earlier under its client_id answers with that one.

    (A browser retrying after its first submit went through is told it worked, even when the
    link is now used up, the campaign closed since, or the retry's answers differ.)
    """
    earlier = existing_response(campaign_id, client_id)
    if earlier is not None:
        return Stored(earlier, False)
    raise err


def submit_online(token: str, sub: Submission, card: LinkCard | None = None) -> Stored:
    """Store a customer's response through a survey link (channel online).

    `card` is the token's link when the caller has it (same token; it may be stale, as a
    remembered one may be: see `known_card`). A multi-use link's response is stored by the
    guarded insert, so what decides it is the link and campaign as they are when it is
    written; a refusal (by the checks or the guard) is decided again on the card read now.
    A single-use link's response is decided on the card read now (its use is an UPDATE).
    """
    if card is None or card.token != token:
        card = known_card(token)
    if card is None:
        raise DomainError("bad_token")
    client_id = _client_id(sub.client_id)
    fresh = False
    for attempt in range(_READS):
        if fresh or not card.single_use:
            stored = _submit_through(card, sub, client_id, fresh, guarded=attempt < _READS - 1)
            if stored is not None:
                return stored
        card, fresh = find_card(token), True
        if card is None:
            raise DomainError("bad_token")
    raise AssertionError("unreachable: the last attempt is unguarded")  # pragma: no cover


#: reads of a card a submission may take: the remembered one, then up to two read now (the
#: guard refusing a card that passed the checks this moment means it changed in between; the
#: last attempt, on a card read now, is stored without the guard, as before it existed)
_READS = 3


def _submit_through(
    card: LinkCard, sub: Submission, client_id: str | None, fresh: bool, *, guarded: bool
) -> Stored | None:
    """One attempt through `card`: the stored response, or None to decide on a card read now
    (a stale card's refusal, or the guard's)."""
    receipt = privacy.receipt_code(card.campaign_id, client_id) if client_id else None
    try:
        check_open(card)
        check_link(card, used_ok=True)
        row = _build(
            card.campaign_id,
            card.questionnaire,
            sub,
            client_id,
            outlet_id=card.outlet_id,
            link_id=card.id,
            channel="online",
            receipt_sha256=privacy.receipt_digest(receipt) if receipt else None,
        )
    except DomainError as err:
        if not fresh:
            return None
        stored = _earlier_or_raise(err, card.campaign_id, client_id)
    else:
        if card.single_use:
            stored = _store(row, card.id)
        else:
            stored = _store(row, None, _guard(card, row["submitted_at"]) if guarded else None)
        if stored is None:
            return None
    return replace(stored, receipt=receipt)


def _guard(card: LinkCard, now: datetime) -> dict:
    """The guard's parameters for a response through `card` submitted at `now`."""
    return {
        "g_link": card.id,
        "g_token": card.token,
        "g_now": now,
        "g_version": card.version,
    }


def submit_in_person(
    campaign: Campaign, outlet_id: object, auditor: User, sub: Submission
) -> Stored:
    """Store a response an auditor collected face to face (channel in_person)."""
    oid = as_int(outlet_id)
    in_range = oid is not None and 1 <= oid <= ID_MAX  # a larger id names no row
    outlet = db.session.get(Outlet, oid) if in_range else None
    if outlet is None or outlet.campaign_id != campaign.id:
        raise DomainError("unknown_outlet", "outlet")
    client_id = _client_id(sub.client_id)
    try:
        check_open(campaign)
        if not outlet.active:
            raise DomainError("outlet_inactive", "outlet")
        row = _build(
            campaign.id,
            questionnaire_for(campaign),
            sub,
            client_id,
            outlet_id=outlet.id,
            link_id=None,
            channel="in_person",
            auditor_id=auditor.id,
        )
    except DomainError as err:
        return _earlier_or_raise(err, campaign.id, client_id)
    return _store(row, None)
