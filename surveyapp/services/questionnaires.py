"""Designed questionnaires: import from the spreadsheet template, export any of them back,
and hand one to a new campaign (services/campaigns.create_campaign freezes a copy)."""

from __future__ import annotations

from .. import questionnaire as qbank
from ..db import db
from ..errors import DomainError
from ..models import Campaign, StoredQuestionnaire, User
from . import ledger
from . import questionnaire_sheets as sheets
from .bounds import bounded_id
from .uow import unit_of_work


def import_xlsx(data: bytes, name: str, by: User | None = None) -> StoredQuestionnaire:
    """Validate the template and store the questionnaire; SheetError (nothing stored) if bad."""
    q = sheets.read_xlsx(data, name=(name or "imported")[:120])
    stored = StoredQuestionnaire(name=q.name, document=q.as_dict(), version=q.version)
    with unit_of_work() as uow:
        db.session.add(stored)
        uow.audit(
            "questionnaire.import",
            target=lambda: f"questionnaire:{stored.id}",
            detail={"name": q.name, "questions": len(q.questions), "version": q.version[:12]},
            by=by,
        )
    return stored


def get(questionnaire_id) -> StoredQuestionnaire:
    """A stored questionnaire, or DomainError not_found (field questionnaire)."""
    found = db.session.get(StoredQuestionnaire, bounded_id(questionnaire_id, "questionnaire"))
    if found is None:
        raise DomainError("not_found", "questionnaire")
    return found


def frozen(questionnaire_id) -> dict:
    """The frozen JSON a new campaign stores, from a stored questionnaire."""
    return qbank.from_frozen(get(questionnaire_id).document).as_dict()


def export_xlsx(
    questionnaire_id: int | None = None, campaign: Campaign | None = None, bank: str | None = None
) -> bytes:
    """The template filled from a stored questionnaire, a campaign's frozen one, or a bank."""
    if campaign is not None:
        q = qbank.from_frozen(campaign.questionnaire)
    elif bank is not None:
        try:
            q = qbank.load_bank(bank)
        except qbank.QuestionnaireError:
            raise DomainError("not_found", "bank") from None
    else:
        q = qbank.from_frozen(get(questionnaire_id).document)
    return sheets.write_xlsx(q)


def set_for_campaign(campaign: Campaign, q: qbank.Questionnaire, by: User | None = None) -> None:
    """Replace a draft campaign's questionnaire (frozen, with its hash, once collection starts).

    The status is read again under the row's lock: collection started by someone else a moment
    ago refuses the change instead of swapping the questions under its first answers."""
    frozen = q.as_dict()
    with unit_of_work() as uow:
        ledger.write_lock()
        db.session.refresh(campaign, with_for_update=True)
        if campaign.status != "draft":
            raise DomainError("questionnaire_frozen", "questionnaire")
        campaign.questionnaire = frozen
        uow.audit(
            "campaign.questionnaire",
            target=f"campaign:{campaign.id}",
            detail={"questions": len(q.questions), "version": q.version[:12]},
            by=by,
        )
