"""Campaigns over the API: create one with its outlets, read it, its questionnaire, its status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import g
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)
from sqlalchemy import select

from ...db import db
from ...errors import DomainError
from ...models import Campaign, Outlet, User
from ...schemes import list_schemes
from ...services import campaigns as service
from ...services.bounds import ID_MAX
from ...vocabulary import DIMENSIONS, INITIAL_STATUSES, STATUSES, ids
from ..survey import survey_url
from . import api_auth, api_campaign, bp
from .document import operation
from .schema import Id, Int, Integer, Output, Payload, Text, body, out, rule

SchemeId = Literal[tuple(s.id for s in list_schemes())]
Status = Literal[tuple(STATUSES)]
Dimension = Literal[tuple(DIMENSIONS)]
Kind = Literal[ids("question_kind")]

# ── requests ─────────────────────────────────────────────────────────────────────────────


class OrganizationRef(Payload):
    """An existing organization, by id."""

    id: Id


class NewOrganization(Payload):
    """A new organization."""

    name: Text(200, blank=False)
    operating_since: date | None = None


def _organization_kind(value: object) -> str:
    return "<id>" if isinstance(value, dict) and "id" in value else "<new>"


Organization = Annotated[
    Annotated[OrganizationRef, Tag("<id>")] | Annotated[NewOrganization, Tag("<new>")],
    Discriminator(_organization_kind),
]


class NewOutlet(Payload):
    name: Text(200, blank=False)
    address: Text(300) | None = None


def _auditor_ids(refs: list[str | int]) -> list[str | int]:
    for ref in refs:
        if isinstance(ref, int) and not 1 <= ref <= ID_MAX:
            raise rule("no_such_id", "")
    return refs


AuditorRefs = Annotated[
    list[
        str
        | Annotated[Integer, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": ID_MAX})]
    ],
    AfterValidator(_auditor_ids),
    Field(
        description="usernames or ids of auditors to assign (the creating auditor always is)",
        max_length=service.MAX_OUTLETS,
    ),
]


class BurstThresholds(Payload):
    """When responses to the campaign are flagged `burst` (CONTRACT defaults 11 / 5 / 10)."""

    network: Int(2, 10_000) = Field(None, description="responses from one network address")
    device: Int(2, 10_000) = Field(None, description="responses from one device")
    minutes: Int(1, 1440) = Field(None, description="within this many minutes")


class CampaignCreate(Payload):
    """A new campaign: `organization` is {id} of an existing one or {name, operating_since}."""

    organization: Organization
    scheme: SchemeId
    outlets: list[NewOutlet] = Field(min_length=1, max_length=service.MAX_OUTLETS)
    title: Text(200) | None = Field(None, description="default: organization · scheme title")
    evaluation_date: date | None = None
    opens_at: AwareDatetime | None = Field(None, description="with a time zone")
    closes_at: AwareDatetime | None = Field(None, description="with a time zone, after opens_at")
    status: Literal[INITIAL_STATUSES] = "collecting"
    auditors: AuditorRefs = []  # closes_at after opens_at: the service's rule (closes_before_opens)
    burst: BurstThresholds | None = Field(None, description="default: the scheme's")
    questionnaire: Id | None = Field(
        None, description="id of an imported questionnaire; default: the scheme's bank"
    )


class StatusChange(Payload):
    status: Literal["collecting", "closed", "finalized"]


class IssueLinks(Payload):
    """`count` links, or one per label (then count is ignored)."""

    count: Int(1, service.MAX_BATCH) = None
    labels: list[Text(120, blank=False)] = Field(
        [],
        max_length=service.MAX_BATCH,
        description="one link per label (e.g. repair-order numbers)",
    )

    model_config = {
        "json_schema_extra": {
            "anyOf": [
                {"required": ["count"]},
                {"required": ["labels"], "properties": {"labels": {"minItems": 1}}},
            ]
        }
    }

    @model_validator(mode="after")
    def _how_many(self) -> IssueLinks:
        if not self.labels and self.count is None:
            raise rule("required", "count")
        return self


# ── answers ──────────────────────────────────────────────────────────────────────────────


class Counts(BaseModel):
    in_person: int = 0
    online: int = 0


class OrganizationOut(BaseModel):
    id: int
    name: str
    operating_since: date | None = None


class OutletOut(BaseModel):
    id: int
    name: str
    address: str | None = None
    survey_url: str | None = Field(
        None, description="the outlet's reusable link http://…/s/<token>"
    )
    responses: Counts


class CampaignOut(BaseModel):
    """the campaign"""

    id: int
    title: str
    scheme: str
    status: Status
    organization: OrganizationOut
    evaluation_date: date | None = None
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    questionnaire_version: str | int | None = Field(None, description="sha256 of the frozen bank")
    auditors: list[str]
    outlets: list[OutletOut]
    burst: BurstOut


class BurstOut(BaseModel):
    """the `burst` flag's thresholds: network or device responses within minutes"""

    network: int
    device: int
    minutes: float


class Bilingual(BaseModel):
    zh: str | None = None
    en: str | None = None


class ChoiceOut(BaseModel):
    value: int = Field(description="the option's code: what an answer sends and exports carry")
    zh: str
    en: str


class QuestionOut(BaseModel):
    id: str
    kind: Kind = "likert"
    dimension: Dimension | None = None
    clause: str | None = Field(None, description="seed 001 clause probed")
    required: bool | None = None
    text: Bilingual
    choices: list[ChoiceOut] | None = Field(
        None, description="single / multiple: the options, in the order shown"
    )
    show_if: str | None = Field(
        None,
        description="display logic: asked only when this holds for an earlier answer "
        "('q3 <= 2', 'q9 has 4'); otherwise not required and not kept",
    )


class QuestionnaireOut(Output):
    """the questionnaire and the parameters of its S computation"""

    campaign: int
    version: str | None = None
    title: Bilingual | None = None
    questions: list[QuestionOut]
    labels: dict[str, Any] = Field(description="answer labels (likert values, n/a, NPS ends)")
    scale: dict[str, float] = Field(description="answer value → 0–100; null answer = n/a")
    channel_weights: dict[str, float]
    dimension_weights: dict[str, float]
    min_answered_fraction: float | None = None


class StatusOut(BaseModel):
    """the new status"""

    id: int
    status: Status


class LinkOut(BaseModel):
    id: int
    label: str | None = None
    survey_url: str


class LinksOut(BaseModel):
    """the batch"""

    batch: str
    outlet: int
    links: list[LinkOut]


def campaign_json(campaign: Campaign) -> dict:
    """A campaign with its outlets and their reusable survey URLs."""
    links = service.outlet_links(campaign)
    counts = service.response_counts(campaign)
    org = campaign.organization
    return out(
        CampaignOut,
        {
            "id": campaign.id,
            "title": campaign.title,
            "scheme": campaign.scheme_id,
            "status": campaign.status,
            "organization": {
                "id": org.id,
                "name": org.name,
                "operating_since": org.operating_since,
            },
            "evaluation_date": campaign.evaluation_date,
            "opens_at": campaign.opens_at,
            "closes_at": campaign.closes_at,
            "questionnaire_version": (campaign.questionnaire or {}).get("version"),
            "auditors": [u.username for u in campaign.auditors],
            "burst": service.burst_of(campaign),
            "outlets": [
                {
                    "id": o.id,
                    "name": o.name,
                    "address": o.address,
                    "survey_url": survey_url(links[o.id].token) if o.id in links else None,
                    "responses": counts.get(o.id, {}),
                }
                for o in campaign.outlets
            ],
        },
    )


def questionnaire_json(campaign: Campaign) -> dict:
    """The contract's questionnaire document of a campaign."""
    frozen = campaign.questionnaire or {}
    params = campaign.survey_params or {}
    keys = ("id", "kind", "dimension", "clause", "required", "text", "choices", "show_if")
    return {
        "campaign": campaign.id,
        "version": frozen.get("version"),
        "title": frozen.get("title"),
        "questions": [{k: q.get(k) for k in keys if k in q} for q in frozen.get("questions", [])],
        "labels": frozen.get("labels", {}),
        "scale": params.get("scale", {}),
        "channel_weights": params.get("channel_weights", {}),
        "dimension_weights": params.get("dimension_weights", {}),
        "min_answered_fraction": params.get("min_answered_fraction"),
    }


# ── routes ───────────────────────────────────────────────────────────────────────────────


def _auditors(refs: list[str | int]) -> list[User]:
    if not refs:
        return []
    names = [x for x in refs if isinstance(x, str)]
    numbers = [x for x in refs if isinstance(x, int)]
    users = list(
        db.session.scalars(select(User).where(User.username.in_(names) | User.id.in_(numbers)))
    )
    found = {u.username for u in users} | {u.id for u in users}
    missing = [x for x in refs if x not in found]
    if missing:
        raise DomainError("unknown_user", "auditors", users=missing)
    return users


@bp.post("/campaigns")
@operation(
    "Create a campaign with its organization and outlets (admin, auditor)",
    body=CampaignCreate,
    ok={201: CampaignOut},
    errors={404: "no questionnaire (or organization) of that id"},
)
@api_auth("admin", "auditor")
def create_campaign_api():
    """Create a campaign, its organization and outlets; each outlet gets a survey URL."""
    data = body(CampaignCreate)
    campaign = service.create_campaign(
        organization=data.organization.model_dump(exclude_none=True),
        scheme_id=data.scheme,
        outlets=[o.model_dump() for o in data.outlets],
        title=data.title,
        evaluation_date=data.evaluation_date,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        status=data.status,
        created_by=g.api_user,
        auditors=_auditors(data.auditors),
        burst=data.burst.model_dump(exclude_none=True) if data.burst else None,
        questionnaire=data.questionnaire,
    )
    return campaign_json(campaign), 201


@bp.get("/campaigns/<int:campaign_id>")
@operation("A campaign with outlets, survey URLs and response counts", ok={200: CampaignOut})
@api_auth("admin", "auditor", "viewer")
def campaign_detail_api(campaign_id: int):
    """One campaign with outlets, survey URLs and response counts."""
    return campaign_json(api_campaign(campaign_id))


@bp.get("/campaigns/<int:campaign_id>/questionnaire")
@operation("The campaign's questionnaire and S parameters (public)", ok={200: QuestionnaireOut})
def campaign_questionnaire_api(campaign_id: int):
    """The campaign's frozen questionnaire and the parameters of its S computation (public)."""
    campaign = db.session.get(Campaign, campaign_id) if campaign_id <= ID_MAX else None
    if campaign is None:
        raise DomainError("not_found", "campaign_id")
    return out(QuestionnaireOut, questionnaire_json(campaign))


@bp.post("/campaigns/<int:campaign_id>/status")
@operation(
    "Change the campaign's status (admin, assigned auditor)",
    body=StatusChange,
    ok={200: StatusOut},
    errors={409: "transition not allowed from the current status"},
)
@api_auth("admin", "auditor")
def campaign_status_api(campaign_id: int):
    """Move a campaign draft → collecting → closed → finalized (closed may reopen)."""
    campaign = api_campaign(campaign_id, write=True)
    service.change_status(campaign, body(StatusChange).status, by=g.api_user)
    return out(StatusOut, {"id": campaign.id, "status": campaign.status})


@bp.post("/campaigns/<int:campaign_id>/outlets/<int:outlet_id>/links")
@operation(
    "Issue a batch of single-use survey links (admin, assigned auditor)",
    body=IssueLinks,
    ok={201: LinksOut},
    errors={409: "campaign finalized"},
)
@api_auth("admin", "auditor")
def issue_links_api(campaign_id: int, outlet_id: int):
    """Issue a batch of single-use survey links for an outlet."""
    campaign = api_campaign(campaign_id, write=True)
    outlet = db.session.get(Outlet, outlet_id) if outlet_id <= ID_MAX else None
    if outlet is None or outlet.campaign_id != campaign.id:
        raise DomainError("not_found", "outlet_id")
    data = body(IssueLinks)
    batch, links = service.issue_single_use(outlet, data.count or 0, data.labels, by=g.api_user)
    answer = {
        "batch": batch,
        "outlet": outlet.id,
        "links": [{"id": x.id, "label": x.label, "survey_url": survey_url(x.token)} for x in links],
    }
    return out(LinksOut, answer), 201
