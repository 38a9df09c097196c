"""Fuzz the JSON API from its own OpenAPI document (Schemathesis, WSGI, SQLite only).

Every operation gets schema-valid and schema-invalid requests as an admin, under every check
Schemathesis has: no 5xx; statuses, content types and bodies as documented; schema-invalid
requests refused; schema-valid ones accepted (2xx, or 401/403/404/409/429).

A document cannot know the stored state, so schema-valid requests are bound to it before they
are sent (`bind`), as a client would: path ids name the fixture's campaign, outlet and token;
body references (organization id, outlet, auditors) name rows that exist; `answers` are a
complete set for the campaign's questionnaire and an evaluation input is a checklist of its
scheme (which questions and items exist is per campaign); and the two orderings the document
states in words but JSON Schema cannot (closes_at after opens_at, start not after end) and the
in-person `started_at` window (within 12 h of now) hold. Everything else stays as generated.
Operations that move a campaign's status run on a campaign of their own, so the others keep
collecting. Bounded: eight examples per operation and mode, no deadline.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.services import accounts
from tests import factories
from tests.conftest import base_config
from tests.scores_fixtures import five_star_input

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture
def fuzz_app(sqlite_template, tmp_path):
    """An app on its own SQLite copy with an admin token and one campaign (no context pushed)."""
    path = tmp_path / "fuzz.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        _user, _pw, token = accounts.create_user("fuzz-admin", "admin", "correct-horse")
        campaign = factories.make_campaign()
        moved = factories.make_campaign()
        ids = {
            "campaign_id": campaign.id,
            "outlet_id": campaign.outlets[0].id,
            "token": factories.outlet_token(campaign),
            "organization": campaign.organization.id,
            "answers": factories.full_answers(campaign),
            "moved_campaign_id": moved.id,
        }
    yield app, token, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_openapi_lists_every_api_route(fuzz_app):
    app, _token, _ids = fuzz_app
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(p, m.upper()) for p, item in doc["paths"].items() for m in item}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.removeprefix("/api/v1")
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", f"{{{name}}}").replace(f"<{name}>", f"{{{name}}}")
        missing += [
            f"{m} {path}" for m in rule.methods - {"HEAD", "OPTIONS"} if (path, m) not in documented
        ]
    assert not missing, f"API routes missing from openapi.json: {missing}"


#: operations that change a campaign's status (they get a campaign of their own)
MOVES = ("/status", "/evaluation/finalize")


def bind(case, ids: dict) -> None:
    """Point a schema-valid case at the stored state, keeping what the state does not decide."""
    if case.path_parameters:
        bound = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
        if case.operation.path.endswith(MOVES):
            bound["campaign_id"] = ids["moved_campaign_id"]
        case.path_parameters = bound
    if isinstance(case.query, dict):
        start, end = case.query.get("start"), case.query.get("end")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            case.query = {**case.query, "start": end, "end": start}
        if case.query.get("outlet"):  # a filter names outlets of this campaign (else 400)
            case.query = {**case.query, "outlet": [ids["outlet_id"]]}
    if isinstance(case.body, dict):
        case.body = _bound_body(case.body, ids)


def _bound_body(body: dict, ids: dict) -> dict:
    if "scores" in body:
        return five_star_input()
    if isinstance(body.get("organization"), dict) and "id" in body["organization"]:
        body["organization"] = {"id": ids["organization"]}
    if "auditors" in body:
        body["auditors"] = ["fuzz-admin"]
    if "opens_at" in body:
        body.pop("closes_at", None)
    bound = {
        "answers": dict(ids["answers"]),
        "outlet": ids["outlet_id"],
        "started_at": datetime.now(UTC).isoformat(),
    }
    return {**body, **{k: v for k, v in bound.items() if k in body}}


def test_fuzz_api(fuzz_app):
    app, token, ids = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    tried: dict[str, int] = {}
    statuses: dict[str, set[int]] = {}
    failures: list[str] = []

    def fuzzer(operation, mode):
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            if mode is GenerationMode.POSITIVE:
                bind(case, ids)
            key = f"{operation.label} [{mode.value}]"
            tried[key] = tried.get(key, 0) + 1
            response = case.call_and_validate(headers=headers)
            statuses.setdefault(key, set()).add(response.status_code)

        return run

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzzer(operation, mode)()
            except Unsatisfiable:
                # e.g. no schema-invalid value exists for a free-form string path parameter
                continue
            except (Exception, BaseExceptionGroup) as e:  # fuzz every operation, report all
                failures.append(f"{operation.label} [{mode.value}]: {type(e).__name__}: {e}"[:1500])
    print("FUZZ", len(tried), "operation modes,", sum(tried.values()), "requests")
    for key, codes in sorted(statuses.items()):
        print(f"  {key}: {tried[key]} requests, statuses {sorted(codes)}")
    assert tried, f"no operation was fuzzed: {failures[:3]}"
    assert not failures, "\n\n".join(failures)
