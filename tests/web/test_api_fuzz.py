"""Fuzz the JSON API from its own OpenAPI document (Schemathesis, WSGI, SQLite only).

Every operation gets schema-valid and schema-invalid requests as an admin; path ids point at a
real campaign, outlet and survey token for valid requests so that bodies reach the use cases.
Checks: no 5xx, status codes, content types and bodies conform to the document. Bounded:
ten examples per operation and mode, no deadline.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.services import accounts
from tests import factories
from tests.conftest import base_config

MAX_EXAMPLES = 8


@pytest.fixture
def fuzz_app(sqlite_template, tmp_path):
    """An app on its own SQLite copy with an admin token and one campaign (no context pushed)."""
    path = tmp_path / "fuzz.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        _user, _pw, token = accounts.create_user("fuzz-admin", "admin", "correct-horse")
        campaign = factories.make_campaign()
        ids = {
            "campaign_id": campaign.id,
            "outlet_id": campaign.outlets[0].id,
            "token": factories.outlet_token(campaign),
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


def test_fuzz_api(fuzz_app):
    app, token, ids = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    tried: dict[str, int] = {}
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
            if mode is GenerationMode.POSITIVE and case.path_parameters:
                case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
            key = f"{operation.label} [{mode.value}]"
            tried[key] = tried.get(key, 0) + 1
            # schema-valid bodies may still break business rules (an unknown question id): a 4xx
            # for them is right, so positive_data_acceptance does not apply
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

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
    print("FUZZ", sum(tried.values()), "requests:", tried)
    assert tried, f"no operation was fuzzed: {failures[:3]}"
    assert not failures, "\n\n".join(failures)
