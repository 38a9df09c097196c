"""A campaign's evaluation: the checklist input (draft), its star level, and finalization.

The survey figures (S, S_in_person, S_online, dimensions) always come from the campaign's own
valid responses, never from the input. A draft is edited in place; finalizing freezes input,
scheme hash, survey figures and result; a finalized evaluation is only superseded by a new
draft that references it (and is marked superseded when that draft is finalized).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Campaign, Evaluation, User
from ..schemes import InputError, evaluate_input, load_scheme
from ..scoring import Scheme
from ..scoring.inputs import required_fields
from ..scoring.survey import DIMENSIONS
from . import anchors, ledger, scores
from .uow import unit_of_work

__all__ = [
    "current",
    "finalize",
    "history",
    "missing",
    "put_input",
    "reported",
    "reported_many",
    "result",
    "scheme_of",
    "user_name",
]


def scheme_of(campaign: Campaign) -> Scheme:
    """The campaign's scheme, loaded from schemes/."""
    return load_scheme(campaign.scheme_id)


def current(campaign: Campaign) -> Evaluation | None:
    """The evaluation in force: the open draft if any, else the latest finalized one."""
    rows = db.session.scalars(
        select(Evaluation)
        .where(Evaluation.campaign_id == campaign.id, Evaluation.status != "superseded")
        .order_by(Evaluation.id.desc())
    ).all()
    drafts = [e for e in rows if e.status == "draft"]
    return drafts[0] if drafts else (rows[0] if rows else None)


def reported(campaign: Campaign) -> Evaluation | None:
    """What the report shows: the finalized evaluation while a revision is drafted after it
    (the certified company's report does not turn back into a draft), else the current one."""
    return reported_many([campaign])[campaign.id]


def reported_many(campaigns: list[Campaign]) -> dict[int, Evaluation | None]:
    """`reported` of each campaign, in one query (a page of the campaign list)."""
    out: dict[int, Evaluation | None] = {c.id: None for c in campaigns}
    if not campaigns:
        return out
    rows = db.session.scalars(
        select(Evaluation)
        .where(Evaluation.campaign_id.in_(list(out)), Evaluation.status != "superseded")
        .order_by(Evaluation.id.desc())
    ).all()
    for cid in out:
        mine = [e for e in rows if e.campaign_id == cid]  # newest first
        final = next((e for e in mine if e.status == "finalized"), None)
        draft = next((e for e in mine if e.status == "draft"), None)
        out[cid] = final or draft or (mine[0] if mine else None)
    return out


def history(campaign: Campaign) -> list[Evaluation]:
    """Every evaluation of the campaign, newest first."""
    return list(
        db.session.scalars(
            select(Evaluation)
            .where(Evaluation.campaign_id == campaign.id)
            .order_by(Evaluation.id.desc())
        )
    )


def _stand_in(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Survey figures for validating an input before the survey has data (0 where missing)."""
    dims = dict(figures.get("dimensions") or {})
    return {
        "S": figures.get("S") or 0.0,
        "S_in_person": figures.get("S_in_person") or 0.0,
        "S_online": figures.get("S_online") or 0.0,
        "dimensions": {d: dims.get(d) or 0.0 for d in DIMENSIONS},
    }


#: top-level fields a scheme's levels may need before the checklist has a level
_NEEDED_FIELDS = ("evaluation_date", "management_audit", "organization.operating_since")


def missing(campaign: Campaign, stored: Mapping[str, Any]) -> list[str]:
    """What a draft still lacks before it has a level: the required items without points (in
    checklist order), then the fields the scheme's levels need (evaluation_date, …)."""
    scheme = scheme_of(campaign)
    given = stored.get("scores")
    given = given if isinstance(given, Mapping) else {}
    gaps = [i.id for i in scheme.items if i.required and i.id not in given]
    needed = required_fields(scheme)
    org = stored.get("organization")
    values = {
        "evaluation_date": stored.get("evaluation_date"),
        "management_audit": stored.get("management_audit"),
        "organization.operating_since": org.get("operating_since")
        if isinstance(org, Mapping)
        else None,
    }
    gaps += [f for f in _NEEDED_FIELDS if f in needed and values[f] in (None, "")]
    return gaps


def _stand_ins(campaign: Campaign, stored: Mapping[str, Any], gaps: list[str]) -> dict:
    """The draft with the least valid value in each gap, so what *is* filled in can be checked
    by the engine exactly as a complete input is (the stand-ins are never stored)."""
    scheme = scheme_of(campaign)
    filled = dict(stored)
    given = stored.get("scores")
    scores_in = dict(given) if isinstance(given, Mapping) else {}
    day = stored.get("evaluation_date") or (
        campaign.evaluation_date.isoformat() if campaign.evaluation_date else "2000-01-01"
    )
    for gap in gaps:
        item = scheme.item_map.get(gap)
        if item is not None:
            scores_in[gap] = min(item.options) if item.mode == "options" else 0
        elif gap == "evaluation_date":
            filled["evaluation_date"] = day
        elif gap == "management_audit":
            filled["management_audit"] = {"passed": True, "severe_nonconformities": 0}
        elif gap == "organization.operating_since":
            org = stored.get("organization")
            filled["organization"] = {
                **(org if isinstance(org, Mapping) else {}),
                "operating_since": day,
            }
    if isinstance(given, Mapping) or given is None:
        filled["scores"] = scores_in
    return filled


def clean_input(campaign: Campaign, data: object) -> dict[str, Any]:
    """The input to store: a JSON object without scheme and survey; InputError when bad.

    A draft may leave any items and needed fields out (`missing`); what it does give is
    checked as in a complete input."""
    if not isinstance(data, Mapping):
        raise InputError("input", "expected a JSON object")
    if "survey" in data:
        raise InputError(
            "survey", "survey figures come from the campaign's own responses; leave survey out"
        )
    if "scheme" in data and data["scheme"] != campaign.scheme_id:
        raise InputError("scheme", f"this campaign is evaluated under {campaign.scheme_id!r}")
    stored = {k: v for k, v in data.items() if k != "scheme"}
    figures = scores.survey_figures(campaign)
    checked = _stand_ins(campaign, stored, missing(campaign, stored))
    # the whole input is checked by the engine; a missing survey is not the input's fault
    evaluate_input(checked, survey=_stand_in(figures), scheme=scheme_of(campaign))
    return stored


def put_input(campaign: Campaign, data: object, user: User) -> Evaluation:
    """Save the checklist input as the draft (a new draft after a finalized one).

    Validated by the engine first: DomainError invalid_input (the engine's field and detail)
    leaves everything unchanged.
    """
    try:
        stored = clean_input(campaign, data)
    except InputError as e:
        words = {"reason": e.code, **e.params} if e.code else {}
        raise DomainError("invalid_input", e.field, detail=e.message, **words) from None
    ev = current(campaign)
    with unit_of_work() as uow:
        if ev is None or ev.status == "finalized":
            ev = Evaluation(
                campaign_id=campaign.id,
                status="draft",
                input=stored,
                supersedes_id=ev.id if ev is not None else None,
                updated_by_id=user.id,
            )
            db.session.add(ev)
        else:
            ev.input = stored
            ev.updated_by_id = user.id
            ev.updated_at = utcnow()
        draft = ev
        uow.ledger("evaluation.draft", draft)
        uow.audit(
            "evaluation.draft",
            target=f"campaign:{campaign.id}",
            detail=lambda: {"evaluation_id": draft.id, "supersedes_id": draft.supersedes_id},
            by=user,
        )
    return ev


def meta(ev: Evaluation) -> dict[str, Any]:
    """The evaluation's own record: id, status, times, who, what it supersedes."""
    return {
        "id": ev.id,
        "status": ev.status,
        "supersedes_id": ev.supersedes_id,
        "created_at": ev.created_at.isoformat() if ev.created_at else None,
        "updated_at": ev.updated_at.isoformat() if ev.updated_at else None,
        "updated_by_id": ev.updated_by_id,
        "finalized_at": ev.finalized_at.isoformat() if ev.finalized_at else None,
        "finalized_by_id": ev.finalized_by_id,
        "scheme_sha256": ev.scheme_sha256,
    }


def _compute(campaign: Campaign, ev: Evaluation) -> tuple[dict[str, Any], dict[str, Any]]:
    """(engine result, survey record) for a draft, with the campaign's current figures."""
    record = scores.survey_record(campaign)
    figures = {k: record[k] for k in ("S", "S_in_person", "S_online", "dimensions")}
    try:
        out = evaluate_input(ev.input, survey=figures, scheme=scheme_of(campaign))
    except InputError as e:
        if e.field.startswith("survey"):
            raise DomainError(
                "survey_unavailable", e.field, measure=e.field.split(".")[-1], detail=e.message
            ) from None
        raise DomainError("stored_input_invalid", e.field, detail=e.message) from None
    return out, record


def result(campaign: Campaign, ev: Evaluation | None = None) -> dict[str, Any]:
    """The evaluation result JSON with `survey` from the campaign's responses (frozen if final).

    An incomplete draft has `complete: false`, its `missing` items and fields, and no level."""
    ev = ev or current(campaign)
    if ev is None:
        raise DomainError("no_evaluation")
    gaps = missing(campaign, ev.input) if ev.status == "draft" else []
    if gaps:
        out = {"level": None}
        record = scores.survey_record(campaign)
    elif ev.status == "draft":
        out, record = _compute(campaign, ev)
    else:
        out, record = dict(ev.result or {}), dict(ev.survey or {})
    return {
        **out,
        "complete": not gaps,
        "missing": gaps,
        "survey": record,
        "input": ev.input,
        "evaluation": meta(ev),
        "ledger_anchor": anchors.for_campaign_or_none(campaign.id),
    }


def finalize(campaign: Campaign, user: User) -> Evaluation:
    """Freeze the draft (input, scheme sha256, survey figures, result), supersede the old one
    and finalize the campaign."""
    ev = current(campaign)
    if ev is None:
        raise DomainError("no_evaluation")
    if ev.status != "draft":
        raise DomainError("already_finalized")
    gaps = missing(campaign, ev.input)
    if gaps:
        raise DomainError("evaluation_incomplete", "scores", count=len(gaps), gaps=gaps)
    out, record = _compute(campaign, ev)
    now = utcnow()
    with unit_of_work() as uow:
        ev.status = "finalized"
        ev.result = out
        ev.survey = record
        ev.scheme_sha256 = scheme_of(campaign).sha256
        ev.finalized_at = now
        ev.finalized_by_id = user.id
        ev.updated_at = now
        if ev.supersedes_id is not None:
            old = db.session.get(Evaluation, ev.supersedes_id)
            if old is not None and old.status == "finalized":
                old.status = "superseded"
                uow.ledger("evaluation.supersede", old)
        uow.ledger("evaluation.finalize", ev)
        _finalize_campaign(uow, campaign, user)
        uow.audit(
            "evaluation.finalize",
            target=f"campaign:{campaign.id}",
            detail={
                "evaluation_id": ev.id,
                "level": out.get("level"),
                "score": out.get("score"),
                "supersedes_id": ev.supersedes_id,
            },
            by=user,
        )
    # what decided the level is sealed at once: the campaign's anchor now covers all of it
    ledger.seal([campaign.id])
    return ev


def _finalize_campaign(uow, campaign: Campaign, user: User) -> None:
    """Finalizing the evaluation finalizes the campaign: one meaning of 定稿 (December 2026);
    collection stops and the campaign is frozen. A later draft still supersedes as before."""
    if campaign.status == "finalized":
        return
    old, campaign.status = campaign.status, "finalized"
    uow.audit(
        "campaign.status",
        target=f"campaign:{campaign.id}",
        detail={"from": old, "to": "finalized", "by": "evaluation.finalize"},
        by=user,
    )


def user_name(user_id: int | None) -> str | None:
    """Display name (or username) of a user id, for records and reports."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return None if user is None else (user.display_name or user.username)
