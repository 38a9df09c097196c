"""Campaign use cases: create and edit campaigns, outlets, auditors, status, survey links.

A campaign freezes the scheme's questionnaire and survey parameters when it is created. Each
outlet gets one reusable survey link; single-use links are issued in batches (one per repair
order, say). Tokens are `secrets.token_urlsafe(32)`: 256 random bits, and they name nothing —
the outlet is looked up from the token, never read from the URL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from .. import questionnaire as qbank
from ..db import db, utcnow
from ..errors import DomainError
from ..models import Campaign, Organization, Outlet, Response, SurveyLink, User
from ..vocabulary import INITIAL_STATUSES, TRANSITIONS
from . import ledger, questionnaires, text
from .bounds import MAX_OUTLETS, bounded_id
from .scores.adapters import params_of
from .uow import unit_of_work

MAX_BATCH = 1000  #: single-use links per batch


def new_token() -> str:
    """An unguessable survey token: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def _text(value, field: str, max_len: int, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError("required", field)
        return None
    if not isinstance(value, str):
        raise DomainError("not_text", field)
    value = value.strip()
    if len(value) > max_len:
        raise DomainError("too_long", field, max=max_len)
    if not text.storable(value):
        raise DomainError("invalid_text", field)
    return value


def _date(value, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("invalid_date", field) from None


def _datetime(value, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            raise DomainError("invalid_datetime", field) from None
    if value.tzinfo is None:
        raise DomainError("needs_zone", field)
    return value


def _scheme(scheme_id):
    from ..schemes import SchemeError, load_scheme

    if not isinstance(scheme_id, str) or not scheme_id:
        raise DomainError("required", "scheme")
    try:
        return load_scheme(scheme_id)
    except SchemeError:
        raise DomainError("unknown_scheme", "scheme", scheme=scheme_id) from None


def _outlet_specs(outlets) -> list[tuple[str, str | None]]:
    if not isinstance(outlets, list | tuple):
        raise DomainError("not_a_list", "outlets")
    if not outlets:
        raise DomainError("required", "outlets")
    if len(outlets) > MAX_OUTLETS:
        raise DomainError("too_many", "outlets", max=MAX_OUTLETS)
    specs = []
    for i, o in enumerate(outlets):
        where = f"outlets[{i}]"
        if isinstance(o, str):
            o = {"name": o}
        if not isinstance(o, Mapping):
            raise DomainError("not_an_object", where)
        specs.append(
            (
                _text(o.get("name"), f"{where}.name", 200),
                _text(o.get("address"), f"{where}.address", 300, False),
            )
        )
    return specs


#: the `burst` keys of a request and the survey parameters they set, with their bounds
_BURST_KEYS = {
    "network": ("burst_network_count", 2, 10_000),
    "device": ("burst_device_count", 2, 10_000),
    "minutes": ("burst_minutes", 1, 1440),
}


def _burst_params(burst: Mapping[str, int] | None) -> dict[str, int | float]:
    """Survey parameters from {network, device, minutes}; a key outside its bounds is refused."""
    out: dict[str, int | float] = {}
    for key, value in (burst or {}).items():
        if key not in _BURST_KEYS:
            raise DomainError("unknown_field", "burst", names=key)
        name, lo, hi = _BURST_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise DomainError("number_range", f"burst.{key}", lo=lo, hi=hi)
        out[name] = float(value) if key == "minutes" else value
    return out


def burst_of(campaign: Campaign) -> dict[str, int | float]:
    """The campaign's `burst` thresholds as {network, device, minutes}."""
    p = params_of(campaign)
    return {
        "network": p.burst_network_count,
        "device": p.burst_device_count,
        "minutes": p.burst_minutes,
    }


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise DomainError("closes_before_opens", "closes_at")


def default_title(organization: str, scheme_title: str) -> str:
    """The title a campaign gets when none is given: "<organization> · <scheme title>"."""
    return f"{organization} · {scheme_title}"


def create_campaign(
    *,
    organization: Mapping | int,
    scheme_id: str,
    outlets: Sequence[Mapping | str],
    title: str | None = None,
    evaluation_date: date | str | None = None,
    opens_at: datetime | str | None = None,
    closes_at: datetime | str | None = None,
    status: str = "collecting",
    created_by: User | None = None,
    auditors: Iterable[User] = (),
    burst: Mapping[str, int] | None = None,
    questionnaire: int | None = None,
) -> Campaign:
    """Create a campaign with its organization, outlets and one reusable link per outlet.

    The scheme's questionnaire (or the stored `questionnaire` given by id) and survey
    parameters are frozen into the campaign, with the
    `burst` thresholds given ({network, device, minutes}, each optional) in place of the
    scheme's. An auditor who creates a campaign is assigned to it (else they could not see it).
    """
    scheme = _scheme(scheme_id)
    if status not in INITIAL_STATUSES:
        raise DomainError("bad_initial_status", "status")
    org = _organization(organization, created_by)
    specs = _outlet_specs(outlets)
    opens, closes = _datetime(opens_at, "opens_at"), _datetime(closes_at, "closes_at")
    _check_window(opens, closes)
    try:
        if questionnaire is not None:  # a designed one (services/questionnaires.py)
            frozen = questionnaires.frozen(questionnaire)
        else:
            frozen = qbank.freeze(scheme.questionnaire)
    except qbank.QuestionnaireError as e:
        raise DomainError("questionnaire_invalid", "scheme", detail=str(e)) from None
    campaign = Campaign(
        organization=org,
        scheme_id=scheme.id,
        title=_text(title, "title", 200, False) or default_title(org.name, scheme.title),
        evaluation_date=_date(evaluation_date, "evaluation_date"),
        opens_at=opens,
        closes_at=closes,
        status=status,
        questionnaire=frozen,
        survey_params={**scheme.survey.as_dict(), **_burst_params(burst)},
        created_by_id=created_by.id if created_by is not None else None,
    )
    team = {u.id: u for u in auditors if u.role == "auditor"}
    if created_by is not None and created_by.role == "auditor":
        team[created_by.id] = created_by
    with unit_of_work() as uow:
        db.session.add(campaign)
        campaign.auditors = list(team.values())
        for name, address in specs:
            _new_outlet(campaign, name, address)
        uow.audit(
            "campaign.create",
            target=lambda: f"campaign:{campaign.id}",
            detail={
                "scheme": scheme.id,
                "outlets": len(specs),
                "status": status,
                "questionnaire": frozen["version"][:12],
            },
            by=created_by,
        )
    return campaign


def _organization(organization: Mapping | int, by: User | None) -> Organization:
    """An existing organization (by id, or {"id": n}) or a new one from {"name", "operating_since"}.

    An existing one is a protected object: only an admin, or an auditor assigned to one of its
    campaigns, may attach a campaign to it; anyone else is told it does not exist (no
    organization's existence, name or founding date leaks to a stranger).
    """
    if isinstance(organization, Mapping) and organization.get("id") is not None:
        organization = organization["id"]
    if isinstance(organization, int) and not isinstance(organization, bool):
        organization = bounded_id(organization, "organization.id")
        org = db.session.get(Organization, organization)
        if org is None or not _may_use(org, by):
            raise DomainError("unknown_organization", "organization.id", id=organization)
        return org
    if not isinstance(organization, Mapping):
        raise DomainError("not_an_object", "organization")
    org = Organization(
        name=_text(organization.get("name"), "organization.name", 200),
        operating_since=_date(organization.get("operating_since"), "organization.operating_since"),
    )
    return org


def _may_use(org: Organization, by: User | None) -> bool:
    """Admins (and the system, by None) use any organization; an auditor one of whose campaigns
    they are assigned to."""
    if by is None or by.role == "admin":
        return True
    assigned = (
        select(Campaign.id)
        .join(Campaign.auditors)
        .where(Campaign.organization_id == org.id, User.id == by.id)
        .limit(1)
    )
    return by.role == "auditor" and db.session.scalar(assigned) is not None


def _new_outlet(campaign: Campaign, name: str, address: str | None) -> Outlet:
    outlet = Outlet(campaign=campaign, name=name, address=address)
    db.session.add(outlet)
    db.session.add(
        SurveyLink(token=new_token(), campaign=campaign, outlet=outlet, single_use=False)
    )
    return outlet


def _writable(campaign: Campaign) -> None:
    if campaign.status == "finalized":
        raise DomainError("campaign_finalized", "status")


def update_campaign(campaign: Campaign, changes: Mapping, by: User | None = None) -> Campaign:
    """Edit title, dates and organization details (not scheme or questionnaire: they are frozen)."""
    _writable(campaign)
    allowed = {
        "title",
        "evaluation_date",
        "opens_at",
        "closes_at",
        "organization_name",
        "operating_since",
    }
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError("unknown_field", unknown[0], names=unknown)
    before = _snapshot(campaign)
    with unit_of_work() as uow:
        _apply_changes(campaign, changes)
        after = _snapshot(campaign)
        changed = sorted(k for k in after if after[k] != before[k])
        if any(k.startswith("organization") for k in changed):
            _check_organization_editable(campaign.organization, by)
        uow.audit(
            "campaign.update",
            target=f"campaign:{campaign.id}",
            detail={
                "fields": changed,
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
                "organization_id": campaign.organization_id,
            },
            by=by,
        )
    return campaign


def _snapshot(campaign: Campaign) -> dict[str, str | None]:
    """The editable values as text, to audit what a change changed (old and new)."""
    values = {
        "title": campaign.title,
        "evaluation_date": campaign.evaluation_date,
        "opens_at": campaign.opens_at,
        "closes_at": campaign.closes_at,
        "organization_name": campaign.organization.name,
        "organization_operating_since": campaign.organization.operating_since,
    }
    return {k: None if v is None else str(v) for k, v in values.items()}


def _check_organization_editable(org: Organization, by: User | None) -> None:
    """An organization with a finalized campaign is part of a certificate: admins only."""
    if by is None or by.role == "admin":
        return
    finalized = select(Campaign.id).where(
        Campaign.organization_id == org.id, Campaign.status == "finalized"
    )
    if db.session.scalar(finalized.limit(1)) is not None:
        raise DomainError("organization_frozen", "organization_name")


def _apply_changes(campaign: Campaign, changes: Mapping) -> None:
    if "title" in changes:
        campaign.title = _text(changes["title"], "title", 200)
    if "evaluation_date" in changes:
        campaign.evaluation_date = _date(changes["evaluation_date"], "evaluation_date")
    if "opens_at" in changes:
        campaign.opens_at = _datetime(changes["opens_at"], "opens_at")
    if "closes_at" in changes:
        campaign.closes_at = _datetime(changes["closes_at"], "closes_at")
    _check_window(campaign.opens_at, campaign.closes_at)
    if "organization_name" in changes:
        campaign.organization.name = _text(changes["organization_name"], "organization_name", 200)
    if "operating_since" in changes:
        campaign.organization.operating_since = _date(changes["operating_since"], "operating_since")


def add_outlet(
    campaign: Campaign, name: str, address: str | None = None, by: User | None = None
) -> Outlet:
    """Add an outlet with its reusable survey link."""
    _writable(campaign)
    if len(campaign.outlets) >= MAX_OUTLETS:
        raise DomainError("too_many", "name", max=MAX_OUTLETS)
    name, address = _text(name, "name", 200), _text(address, "address", 300, False)
    with unit_of_work() as uow:
        outlet = _new_outlet(campaign, name, address)
        uow.audit(
            "outlet.create",
            target=lambda: f"outlet:{outlet.id}",
            detail={"campaign": campaign.id},
            by=by,
        )
    return outlet


def update_outlet(outlet: Outlet, changes: Mapping, by: User | None = None) -> Outlet:
    """Rename an outlet or change its address; the audit log keeps old and new values."""
    _writable(outlet.campaign)
    new = {}
    if "name" in changes:
        new["name"] = _text(changes["name"], "name", 200)
    if "address" in changes:
        new["address"] = _text(changes["address"], "address", 300, False)
    diff = {k: [getattr(outlet, k), v] for k, v in new.items() if getattr(outlet, k) != v}
    if diff:
        with unit_of_work() as uow:
            for k, (_old, value) in diff.items():
                setattr(outlet, k, value)
            uow.audit(
                "outlet.update",
                target=f"outlet:{outlet.id}",
                detail={"campaign": outlet.campaign_id, **diff},
                by=by,
            )
    return outlet


def set_outlet_active(outlet: Outlet, active: bool, by: User | None = None) -> Outlet:
    """Deactivate an outlet (closed, merged): its answers stay and count, every link of it stops
    (posters and unused single-use codes), and interviews there are refused. Reactivating
    issues a new poster link; the stopped links stay stopped."""
    _writable(outlet.campaign)
    if outlet.active == active:
        return outlet
    with unit_of_work() as uow:
        outlet.active = active
        if active:
            db.session.add(
                SurveyLink(
                    token=new_token(),
                    campaign_id=outlet.campaign_id,
                    outlet=outlet,
                    single_use=False,
                )
            )
        else:
            # row by row through the ORM: each revocation gets its ledger entry at the flush
            _revoke(SurveyLink.outlet_id == outlet.id, SurveyLink.revoked_at.is_(None))
        uow.audit(
            "outlet.activate" if active else "outlet.deactivate",
            target=f"outlet:{outlet.id}",
            detail={"campaign": outlet.campaign_id},
            by=by,
        )
    return outlet


def _revoke(*where) -> None:
    """Revoke the links matching `where`, through the ORM (so the flush records each)."""
    now = utcnow()
    for link in db.session.scalars(select(SurveyLink).where(*where)):
        link.revoked_at = now


def rotate_outlet_link(outlet: Outlet, by: User | None = None) -> SurveyLink:
    """Revoke the outlet's reusable link (e.g. a poster was misused) and issue a new one."""
    _writable(outlet.campaign)
    if not outlet.active:
        raise DomainError("outlet_inactive", "outlet")
    with unit_of_work() as uow:
        _revoke(
            SurveyLink.outlet_id == outlet.id,
            SurveyLink.single_use.is_(False),
            SurveyLink.revoked_at.is_(None),
        )
        link = SurveyLink(
            token=new_token(), campaign_id=outlet.campaign_id, outlet=outlet, single_use=False
        )
        db.session.add(link)
        uow.audit("link.rotate", target=f"outlet:{outlet.id}", by=by)
    return link


def revoke_link(link: SurveyLink, by: User | None = None) -> None:
    """Revoke one link; a revoked link no longer accepts responses."""
    if link.revoked_at is None:
        with unit_of_work() as uow:
            link.revoked_at = utcnow()
            uow.audit("link.revoke", target=f"link:{link.id}", by=by)


def issue_single_use(
    outlet: Outlet, count: int, labels: Sequence[str] = (), by: User | None = None
) -> tuple[str, list[SurveyLink]]:
    """Issue a batch of single-use links for an outlet; returns (batch id, links).

    `labels` (e.g. repair-order numbers) are printed beside the codes; when given, one link is
    issued per label and `count` is ignored.
    """
    campaign = outlet.campaign
    _writable(campaign)
    if not outlet.active:
        raise DomainError("outlet_inactive", "outlet")
    labels = [str(x).strip()[:120] for x in labels if str(x).strip()]
    n = len(labels) if labels else count
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_BATCH:
        raise DomainError("count_range", "count", max=MAX_BATCH)
    batch = f"{utcnow():%Y%m%d}-{secrets.token_hex(4)}"
    links = [
        SurveyLink(
            token=new_token(),
            campaign_id=campaign.id,
            outlet=outlet,
            single_use=True,
            batch=batch,
            label=labels[i] if labels else None,
        )
        for i in range(n)
    ]
    with unit_of_work() as uow:
        db.session.add_all(links)
        uow.audit(
            "links.issue", target=f"outlet:{outlet.id}", detail={"batch": batch, "count": n}, by=by
        )
    return batch, links


def set_auditors(campaign: Campaign, users: Iterable[User], by: User | None = None) -> None:
    """Replace the auditors assigned to the campaign (only users with the auditor role)."""
    _writable(campaign)
    users = list(users)
    wrong = [u.username for u in users if u.role != "auditor" or not u.active]
    if wrong:
        raise DomainError("not_auditor", "auditors", users=wrong)
    with unit_of_work() as uow:
        ledger.lock_row(campaign)  # concurrent changes of the team: one after the other
        before = sorted(u.id for u in campaign.auditors)
        campaign.auditors = users
        uow.audit(
            "campaign.auditors",
            target=f"campaign:{campaign.id}",
            detail={"before": before, "after": sorted(u.id for u in users)},
            by=by,
        )


def change_status(campaign: Campaign, new_status: str, by: User | None = None) -> Campaign:
    """Move draft → collecting → closed → finalized (closed may reopen to collecting)."""
    allowed = TRANSITIONS.get(campaign.status, ())
    if new_status not in allowed:
        raise DomainError("bad_transition", "status", **{"from": campaign.status, "to": new_status})
    old = campaign.status
    with unit_of_work() as uow:
        campaign.status = new_status
        uow.audit(
            "campaign.status",
            target=f"campaign:{campaign.id}",
            detail={"from": old, "to": new_status},
            by=by,
        )
    return campaign


# ── readers ──────────────────────────────────────────────────────────────────────────────


def outlet_link(outlet: Outlet) -> SurveyLink | None:
    """The outlet's current reusable link (the newest one not revoked)."""
    return db.session.scalar(
        select(SurveyLink)
        .where(
            SurveyLink.outlet_id == outlet.id,
            SurveyLink.single_use.is_(False),
            SurveyLink.revoked_at.is_(None),
        )
        .order_by(SurveyLink.id.desc())
        .limit(1)
    )


def outlet_links(campaign: Campaign) -> dict[int, SurveyLink]:
    """The current reusable link of every outlet of the campaign, by outlet id."""
    rows = db.session.scalars(
        select(SurveyLink)
        .where(
            SurveyLink.campaign_id == campaign.id,
            SurveyLink.single_use.is_(False),
            SurveyLink.revoked_at.is_(None),
        )
        .order_by(SurveyLink.id)
    ).all()
    return {link.outlet_id: link for link in rows}


@dataclass(frozen=True)
class BatchSummary:
    """One batch of single-use links: how many were issued, used and withdrawn."""

    batch: str
    outlet_id: int
    issued: int
    used: int
    revoked: int
    created_at: datetime


def batches(campaign: Campaign) -> list[BatchSummary]:
    """Single-use batches of the campaign, newest first, with how many links were used."""
    rows = db.session.execute(
        select(
            SurveyLink.batch,
            SurveyLink.outlet_id,
            func.count(SurveyLink.id),
            func.count(SurveyLink.used_at),
            func.count(SurveyLink.revoked_at),
            func.min(SurveyLink.created_at),
        )
        .where(SurveyLink.campaign_id == campaign.id, SurveyLink.single_use.is_(True))
        .group_by(SurveyLink.batch, SurveyLink.outlet_id)
        .order_by(func.min(SurveyLink.id).desc())
    ).all()
    return [BatchSummary(*r) for r in rows]


def batch_links(campaign: Campaign, batch: str) -> list[SurveyLink]:
    """The links of one batch in issue order."""
    return list(
        db.session.scalars(
            select(SurveyLink)
            .where(SurveyLink.campaign_id == campaign.id, SurveyLink.batch == batch)
            .order_by(SurveyLink.id)
        )
    )


def response_counts(campaign: Campaign) -> dict[int, dict[str, int]]:
    """Responses per outlet and channel: {outlet_id: {"in_person": n, "online": n}}."""
    counts: dict[int, dict[str, int]] = {
        o.id: {"in_person": 0, "online": 0} for o in campaign.outlets
    }
    rows = db.session.execute(
        select(Response.outlet_id, Response.channel, func.count(Response.id))
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.outlet_id, Response.channel)
    ).all()
    for outlet_id, channel, n in rows:
        counts.setdefault(outlet_id, {"in_person": 0, "online": 0})[channel] = n
    return counts


def assignable_auditors() -> list[User]:
    """Active users with the auditor role, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "auditor", User.active.is_(True))
            .order_by(User.username)
        )
    )
