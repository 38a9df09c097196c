"""Factories for campaigns, links and answers (exposed as fixtures by the conftest files)."""

from __future__ import annotations

from surveyapp.services import campaigns as campaign_service
from surveyapp.services import responses as response_service


def make_campaign(
    outlets=("朝阳服务中心", "海淀服务中心"),
    status: str = "collecting",
    scheme: str = "cqm-2019",
    organization: str = "示例电器有限公司",
    operating_since: str | None = "2019-03-01",
    created_by=None,
    auditors=(),
    **kwargs,
):
    """A campaign with outlets (each with its reusable link), collecting unless told."""
    return campaign_service.create_campaign(
        organization={"name": organization, "operating_since": operating_since},
        scheme_id=scheme,
        outlets=list(outlets),
        status=status,
        created_by=created_by,
        auditors=auditors,
        **kwargs,
    )


def outlet_token(campaign, index: int = 0) -> str:
    """The reusable survey token of the campaign's index-th outlet."""
    outlet = campaign.outlets[index]
    return campaign_service.outlet_links(campaign)[outlet.id].token


def full_answers(campaign, value: int = 5, nps: int = 9) -> dict:
    """JSON answers to every non-text question: likert `value`, NPS `nps`."""
    q = response_service.questionnaire_for(campaign)
    return {x.id: (nps if x.kind == "nps" else value) for x in q.questions if x.kind != "text"}


def form_data(campaign, value: int = 5, nps: int = 9, **extra) -> dict:
    """Form fields of a complete no-JS submission."""
    data = {f"q_{k}": str(v) for k, v in full_answers(campaign, value, nps).items()}
    data.update(extra)
    return data
