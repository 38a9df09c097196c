"""The unit of work: one flush → ledger → audit → commit, and nothing at all on an error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.models import (
    AuditLog,
    LedgerEntry,
    Organization,
    Response,
    ResponseExclusion,
)
from surveyapp.services import actor, review
from surveyapp.services.uow import unit_of_work
from tests.factories import full_answers, outlet_token


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_commit_records_ledger_and_audit_with_the_new_ids(app, make_user):
    user, _token = make_user("admin")
    before = count(AuditLog)
    with unit_of_work() as uow:
        org = Organization(name="单元测试公司")
        db.session.add(org)
        uow.audit("org.test", target=lambda: f"organization:{org.id}", by=user)
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert count(AuditLog) == before + 1
    assert entry.target == f"organization:{org.id}" and org.id is not None
    assert (entry.user_id, entry.username) == (user.id, user.username)


def test_an_error_inside_rolls_everything_back(app, make_user):
    user, _token = make_user("admin")
    before = (count(Organization), count(AuditLog), count(LedgerEntry))
    with pytest.raises(DomainError), unit_of_work() as uow:
        db.session.add(Organization(name="不会保存"))
        uow.audit("org.test", by=user)
        raise DomainError("invalid")
    assert (count(Organization), count(AuditLog), count(LedgerEntry)) == before


def test_audit_names_the_actor_the_web_layer_set(app, make_campaign, make_user, client):
    user, _token = make_user("auditor")
    c = make_campaign()
    client.post(f"/api/v1/links/{outlet_token(c)}/responses", json={"answers": full_answers(c)})
    response = db.session.scalars(select(Response)).one()
    with actor.acting(actor.Actor(user.id, user.username, "203.0.113.9")):
        review.exclude(response, "同一顾客重复作答", user)
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "response.exclude" and entry.ip == "203.0.113.9"
    assert entry.detail["exclusion_id"] == db.session.scalar(select(func.max(ResponseExclusion.id)))
    kinds = db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds[-2:] == ["exclusion", "response.exclude"]
