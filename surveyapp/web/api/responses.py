"""Responses over the API: the online channel (public, by link) and the in-person channel."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from flask import g, jsonify, make_response, request
from pydantic import AwareDatetime, Field, model_validator

from ... import questionnaire as qbank
from ...db import utcnow
from ...schemes import load_scheme
from ...services import responses
from ...services.responses import MAX_COMMENT, MAX_CONTACT, Submission
from ..survey import remember_submitted, submit_limits
from . import api_auth, api_campaign, bp
from .campaigns import QuestionnaireOut, questionnaire_json
from .document import operation
from .schema import Integer, Matching, Payload, Text, body, out, rule
from .schema import Output as _Output

#: an in-person start time sent by the auditor's device may lie this far back
MAX_INTERVIEW = timedelta(hours=12)
_REFUSED = {
    409: "campaign_not_open, link_used",
    410: "campaign_closed, link_revoked",
}


def _answers_example(schema: dict) -> None:
    """A complete answer set of the default questionnaire (cqm-2019), as the example."""
    bank = qbank.load_bank(load_scheme("cqm-2019").questionnaire)
    schema["examples"] = [
        {q.id: (9 if q.kind == "nps" else 5) for q in bank.questions if q.kind != "text"}
    ]


#: a multiple choice answer: the codes of the options picked (at most every option once)
Picked = Annotated[list[Integer], Field(max_length=35)]
Answers = Annotated[
    dict[str, Integer | Picked | Text(MAX_COMMENT) | None],
    Field(
        description="question id → answer as GET …/questionnaire lists the questions: likert "
        "1–5, nps 0–10, single an option's value, multiple a list of option values, text a "
        "string; null = not applicable (不适用). Every required question "
        "must be present and no other; a response with fewer than the questionnaire's "
        "min_answered_fraction of scored answers is stored but counted invalid.",
        json_schema_extra=_answers_example,
    ),
]
_CONSENTED = {"required": ["contact_consent"], "properties": {"contact_consent": {"const": True}}}
_CONSENT = {
    "allOf": [
        {
            "if": {
                "required": ["contact"],
                "properties": {"contact": {"type": "string", "pattern": r"\S"}},
            },
            "then": _CONSENTED,
        },
        {
            "if": {"required": ["contact_share"], "properties": {"contact_share": {"const": True}}},
            "then": _CONSENTED,
        },
    ]
}


class _Response(Payload):
    answers: Answers
    comment: Text(MAX_COMMENT) | None = None
    client_id: Matching(f"^({responses.CLIENT_ID_PATTERN})?$", "invalid_client_id") | None = Field(
        None, description="browser-generated id; the same id twice stores one response"
    )
    contact: Text(MAX_CONTACT) | None = Field(
        None, description="stored encrypted; only with contact_consent: true"
    )
    contact_consent: bool = False
    contact_share: bool = Field(
        False,
        description="the customer's separate consent to pass the contact to the certified "
        "company (its managers then see it in the call-back queue); needs contact_consent",
    )

    model_config = {"json_schema_extra": _CONSENT}

    @model_validator(mode="after")
    def _consent(self) -> _Response:
        if self.contact and re.search(r"\S", self.contact) and not self.contact_consent:
            raise rule("contact_without_consent", "contact")
        if self.contact_share and not self.contact_consent:
            raise rule("share_without_consent", "contact_share")
        return self


class OnlineResponse(_Response):
    """A customer's response through a survey link."""

    started: str | None = Field(
        None,
        description="the signed stamp served with the page or GET /links/{token}; a stamp that "
        "is not genuine, of another link or older than 12 h is ignored (no timing)",
    )


class InPersonResponse(_Response):
    """A response an auditor collected face to face at one of the campaign's outlets."""

    outlet: Integer = Field(description="an outlet id of this campaign")
    started_at: AwareDatetime | None = Field(
        None,
        description="when the interview began, with a zone; trusted for timing only within "
        "the last 12 h (older or future ones are dropped: the response is stored untimed)",
    )
    completed_at: AwareDatetime | None = Field(
        None,
        description="when an interview kept on a device without signal was finished; stored as "
        "its submission time when between started_at and now (else now)",
    )


class Stored(_Output):
    """stored (200: already stored under this client_id, same id)"""

    id: int
    reused: bool = Field(
        False,
        description="the single-use link had been answered already: stored and flagged as a "
        "duplicate for an auditor to review",
    )
    receipt: str | None = Field(
        None,
        description="online, with a client_id: the receipt code to show the customer; with it "
        "the public privacy page withdraws consent or deletes the contact and comment",
    )


class OutletName(_Output):
    id: int
    name: str


class LinkQuestionnaire(QuestionnaireOut):
    """the questionnaire behind the link, with a start stamp to send back"""

    outlet: OutletName
    organization: str
    single_use: bool
    started: str = Field(description="send back as `started` with the response")


def _submission(
    data: _Response, started_at: datetime | None, address: str | None, user_agent: str
) -> Submission:
    """The service's submission of a validated body, from this address and user agent."""
    return Submission(
        answers=data.answers,
        comment=data.comment,
        client_id=data.client_id,
        contact=data.contact,
        contact_consent=data.contact_consent,
        contact_share=data.contact_share,
        started_at=started_at,
        address=address,
        user_agent=user_agent[:400],
    )


def _stored(stored: responses.Stored):
    doc = {"id": stored.id, "reused": stored.reused, "receipt": stored.receipt}
    return out(Stored, doc), 201 if stored.created else 200


@bp.get("/links/<token>")
@operation(
    "The questionnaire behind a survey link and a signed start stamp (public)",
    ok={200: LinkQuestionnaire},
    errors=_REFUSED,
)
def link_questionnaire_api(token: str):
    """The questionnaire behind a survey link, with a signed start stamp to send back (public)."""
    link = responses.open_link(token)
    doc: dict[str, Any] = {
        **questionnaire_json(link.campaign),
        "outlet": {"id": link.outlet.id, "name": link.outlet.name},
        "organization": link.campaign.organization.name,
        "single_use": link.single_use,
        "started": responses.start_stamp(responses.link_scope(link)),
    }
    return out(LinkQuestionnaire, doc)


@bp.post("/links/<token>/responses")
@operation(
    "Submit a response through a survey link (public; channel online)",
    body=OnlineResponse,
    ok={201: Stored, 200: Stored},
    errors={**_REFUSED, 429: "rate limited (per link, per client id, per address)"},
)
@submit_limits
def submit_online_api(token: str):
    """Store a customer's response through a survey link; a repeated client_id answers 200."""
    data = body(OnlineResponse)
    stored = store_online(token, data, request.remote_addr, request.headers.get("User-Agent", ""))
    return online_answer(stored, token, data.client_id)


def store_online(
    token: str, data: OnlineResponse, address: str | None, user_agent: str
) -> responses.Stored:
    """Store a validated online response from this address and user agent (this view's, and
    web/submit_path.py's outside Flask's request cycle); DomainError when it is refused."""
    card = responses.known_card(token)
    started = responses.read_start_stamp(data.started, responses.link_scope(card)) if card else None
    return responses.submit_online(
        token, _submission(data, started, address, user_agent), card=card
    )


def online_answer(stored: responses.Stored, token: str, client_id: str | None):
    """The answer to a stored online response: 201 (200 when stored before under its
    client_id) with its id and receipt, and the cookie that lets the phone's next visit reuse
    its client_id."""
    doc, status = _stored(stored)
    resp = make_response(jsonify(doc), status)
    return remember_submitted(resp, token, client_id)


@bp.post("/campaigns/<int:campaign_id>/responses")
@operation(
    "Submit a response collected face to face (admin, assigned auditor; channel in_person)",
    body=InPersonResponse,
    ok={201: Stored, 200: Stored},
    errors={409: "campaign_not_open", 410: "campaign_closed"},
)
@api_auth("admin", "auditor")
def submit_in_person_api(campaign_id: int):
    """Store a response collected face to face by an assigned auditor (channel in_person)."""
    return store_in_person(api_campaign(campaign_id, write=True), g.api_user)


def store_in_person(campaign, user):
    """Parse an in-person response body and store it (the API, and the interview page's queue
    of interviews finished without signal); a resent client_id answers 200 with the same id."""
    data = body(InPersonResponse)
    sub = replace(
        _submission(
            data,
            _started_at(data.started_at),
            request.remote_addr,
            request.headers.get("User-Agent", ""),
        ),
        completed_at=_started_at(data.completed_at),
    )
    return _stored(responses.submit_in_person(campaign, data.outlet, user, sub))


def _started_at(started: datetime | None) -> datetime | None:
    """The interview's start, trusted for timing only within the last 12 h (a device clock may
    run 5 s ahead). An older or future one is dropped, as the online page's stale stamp is: the
    response is stored without timing (and flagged for it), never refused for it."""
    if started is None:
        return None
    now = utcnow()
    if not now - MAX_INTERVIEW <= started <= now + timedelta(seconds=5):
        return None
    return min(started, now)
