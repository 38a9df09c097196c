"""PUT/GET /campaigns/<id>/evaluation and POST …/evaluation/finalize."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import g
from pydantic import Field

from ...errors import DomainError
from ...scoring.model import EVENT_TYPES
from ...services import evaluations
from .. import report_pdf
from ..errors import api_body
from . import api_auth, api_campaign, bp
from .document import operation
from .schema import Int, Output, Payload, body, out
from .scores import READERS

#: deductions and nonconformities one checklist may count (the engine loops over them)
Count = Int(0, 1000)
Points = int | float


class Percent(Payload):
    pct: Points


ItemScore = Points | list[Points] | str | Percent


class Deduction(Payload):
    item: str | None = Field(None, description="the checklist item it concerns")
    note: str | None = None


class Bonus(Payload):
    note: str = Field(description="the advantage found (required: an empty bonus is refused)")


class ManagementAudit(Payload):
    passed: bool
    severe_nonconformities: Count | None = 0


class OrganizationDates(Payload):
    operating_since: dt.date | None = None


class Event(Payload):
    type: Literal[EVENT_TYPES]
    date: dt.date = Field(description="on or before evaluation_date")
    rectified: bool | None = False


class EvaluationInput(Payload):
    """The checklist input of CONTRACT.md without survey (its figures come from the responses).

    Which items `scores` takes, and their points, are the campaign's scheme's (GET the
    scheme's checklist); a problem is a 400 invalid_input naming the field (scores.4.1.2).
    """

    scheme: str | None = Field(None, description="if given, the campaign's own scheme id")
    evaluation_date: dt.date | None = None
    scores: dict[str, ItemScore] = Field(
        description='item id → points, a list of points (one per auditor), "n/a", '
        '"85%" or {"pct": 85}'
    )
    special_deductions: Count | list[str | Deduction] | None = None
    special_bonus: Bonus | str | list[Bonus | str] | Literal[False] | None = None
    management_audit: ManagementAudit | None = None
    organization: OrganizationDates | None = None
    events: list[Event] | None = None
    notes: Any = None


class EvaluationMeta(Output):
    id: int
    status: Literal["draft", "finalized", "superseded"]
    supersedes_id: int | None = None
    finalized_at: str | None = None
    scheme_sha256: str | None = None


class AnchorChain(Output):
    """one chain's head: its newest sealed batch"""

    chain: int = Field(description="the campaign id (0: the system chain)")
    batches: int
    entries: int = Field(description="entries sealed in the chain up to its head")
    head: str = Field(description="sha256 of the newest sealed batch")


class LedgerAnchor(Output):
    """a signed anchor of the campaign's chain (verify-ledger --anchor FILE checks it later)"""

    format: str
    time: str
    campaign_id: int | None = None
    chains: list[AnchorChain]
    digest: str
    unsealed: int | None = Field(None, description="entries of the chain not sealed yet")
    key_id: str
    public_key: str
    signature: str


class EvaluationResult(Output):
    """the result (level null while the checklist is incomplete or the survey has no valid
    responses: then `pending` says why)"""

    scheme: str | None = None
    level: str | None
    complete: bool | None = Field(
        None, description="false while required items or fields are missing (then no level)"
    )
    missing: list[str] | None = Field(
        None, description="the item ids and fields still to fill in, in checklist order"
    )
    level_name: str | None = None
    score: float | None = None
    max_score: float | None = None
    groups: dict[str, Any] | None = None
    special_deductions: int | None = None
    limited_by: list[str] | None = None
    criteria: list[dict[str, Any]] | None = None
    explanation_zh: list[str] | None = None
    survey: dict[str, Any] | None = Field(
        None, description="S, S_in_person, S_online, dimensions, n, ci95, sufficient"
    )
    input: dict[str, Any] | None = None
    evaluation: EvaluationMeta
    pending: dict[str, Any] | None = Field(None, description="the error the level waits on")
    ledger_anchor: LedgerAnchor | None = Field(
        None, description="the campaign's ledger chain head, signed (docs/ledger.md)"
    )


_ERRORS = {
    409: "already finalized, the checklist is incomplete, or the survey has no valid responses"
}


@bp.put("/campaigns/<int:campaign_id>/evaluation")
@operation(
    "Save the checklist input as the draft evaluation",
    body=EvaluationInput,
    ok={200: EvaluationResult},
    errors={400: "bad input: error.field names it (scores.4.1.2); nothing stored"},
)
@api_auth("admin", "auditor")
def put_evaluation(campaign_id: int):
    """Save the checklist input (without scheme and survey) as the draft; returns the result."""
    campaign = api_campaign(campaign_id, write=True)
    data = body(EvaluationInput, as_code="invalid_input")
    ev = evaluations.put_input(
        campaign, data.model_dump(mode="json", exclude_unset=True), g.api_user
    )
    try:
        return out(EvaluationResult, evaluations.result(campaign, ev))
    except DomainError as e:  # saved; the level waits for the survey
        pending = {
            "evaluation": evaluations.meta(ev),
            "input": ev.input,
            "level": None,
            "pending": api_body(e)["error"],
        }
        return out(EvaluationResult, pending)


@bp.get("/campaigns/<int:campaign_id>/evaluation")
@operation(
    "The evaluation result with the campaign's own survey figures",
    ok={200: EvaluationResult},
    errors=_ERRORS,
)
@api_auth(*READERS)
def get_evaluation(campaign_id: int):
    """The evaluation result, with `survey` taken from the campaign's own responses."""
    return out(EvaluationResult, evaluations.result(api_campaign(campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/evaluation/finalize")
@operation(
    "Finalize the draft: freeze input, scheme hash, survey figures, result",
    ok={200: EvaluationResult},
    errors=_ERRORS,
)
@api_auth("admin", "auditor")
def finalize_evaluation(campaign_id: int):
    """Freeze the draft evaluation (input, scheme hash, survey figures, result)."""
    campaign = api_campaign(campaign_id, write=True)
    ev = evaluations.finalize(campaign, g.api_user)
    return out(EvaluationResult, evaluations.result(campaign, ev))


@bp.get("/campaigns/<int:campaign_id>/report.pdf")
@operation(
    "The evaluation report as an A4 PDF (Chinese text a PDF reader can extract)",
    ok={200: "application/pdf"},
    errors={
        409: "no complete evaluation yet",
        503: "the server lacks the Chinese font or the layout libraries",
    },
)
@api_auth(*READERS)
def report_pdf_api(campaign_id: int):
    """The report of the evaluation in force (finalized, or marked as a draft)."""
    return report_pdf.response(api_campaign(campaign_id))
