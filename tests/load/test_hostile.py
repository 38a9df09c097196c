"""(3) Hostile submissions through real gunicorn: malformed, oversized, invalid UTF-8, injection
strings in every field. Each gets a 4xx, or is stored inertly and shown escaped; never a 5xx."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from surveyapp.config import Defaults

from .harness import request

INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE responses; --",
    "'); DELETE FROM ledger_entries; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "${7*7}",
    "../../etc/passwd",
    "\u0000",
    "\ud800",
    "𠜎" * 3,
    "=cmd|' /C calc'!A0",
]

JSON = {"Content-Type": "application/json"}


def hostile_bodies(answers: dict) -> list[tuple[str, bytes, dict]]:
    """(label, body, headers) of every hostile submission tried."""
    cases: list[tuple[str, bytes, dict]] = [
        ("empty body", b"", JSON),
        ("truncated JSON", b'{"answers": {', JSON),
        ("JSON array", b"[1, 2, 3]", JSON),
        ("JSON string", b'"answers"', JSON),
        ("null", b"null", JSON),
        (
            "not JSON content type",
            b"answers=5",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        ("text/plain", json.dumps({"answers": answers}).encode(), {"Content-Type": "text/plain"}),
        ("1 MB body", json.dumps({"answers": answers, "comment": "好" * 350_000}).encode(), JSON),
        ("invalid UTF-8", b'{"answers": {"x": "\xff\xfe\xfd"}, "comment": "\xc3\x28"}', JSON),
        ("deeply nested", b'{"answers": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", JSON),
        ("huge integer", b'{"answers": {"q": 1' + b"0" * 5000 + b"}}", JSON),
        ("NaN", b'{"answers": {"q": NaN}}', JSON),
        ("answers not an object", json.dumps({"answers": "5555"}).encode(), JSON),
        ("answer out of range", json.dumps({"answers": dict.fromkeys(answers, 99)}).encode(), JSON),
        ("answer is a float", json.dumps({"answers": dict.fromkeys(answers, 4.5)}).encode(), JSON),
        ("answer is bool", json.dumps({"answers": dict.fromkeys(answers, True)}).encode(), JSON),
        ("unknown field", json.dumps({"answers": answers, "admin": True}).encode(), JSON),
        (
            "contact without consent",
            json.dumps({"answers": answers, "contact": "13800000000"}).encode(),
            JSON,
        ),
        (
            "consent as string",
            json.dumps({"answers": answers, "contact_consent": "yes"}).encode(),
            JSON,
        ),
    ]
    for i, s in enumerate(INJECTIONS):
        cases.append(
            (
                f"injection as answer key {i}",
                json.dumps({"answers": {**answers, s: 5}}).encode(),
                JSON,
            )
        )
        cases.append(
            (
                f"injection as answer value {i}",
                json.dumps({"answers": dict.fromkeys(answers, s)}).encode(),
                JSON,
            )
        )
        cases.append(
            (
                f"injection as client_id {i}",
                json.dumps({"answers": answers, "client_id": s}).encode(),
                JSON,
            )
        )
        cases.append(
            (
                f"injection as started {i}",
                json.dumps({"answers": answers, "started": s}).encode(),
                JSON,
            )
        )
        # comment and contact are free text: stored (inertly) or refused, never an error
        cases.append(
            (
                f"injection as comment+contact {i}",
                json.dumps(
                    {
                        "answers": answers,
                        "comment": s,
                        "contact": s,
                        "contact_consent": True,
                        "client_id": uuid.uuid4().hex,
                    }
                ).encode(),
                JSON,
            )
        )
    return cases


def _sent(port: int, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """The answer to a POST. A body over MAX_CONTENT_LENGTH is refused (413) before it is read,
    and gunicorn closes the connection after the answer: a client still sending the rest of
    it may see the connection reset before it reads the 413, which is that refusal too."""
    try:
        return request(port, "POST", path, body, headers)
    except (BrokenPipeError, ConnectionResetError):
        if len(body) <= Defaults.MAX_CONTENT_LENGTH:
            raise
        return 413, b""


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_hostile_submissions_never_500(load_db, server):
    url, campaign_id, token, answers = load_db
    outcomes: dict[int, list[str]] = {}
    errors = []
    paths = [f"/api/v1/links/{token}/responses", f"/api/v1/links/{'x' * 43}/responses"]
    for label, body, headers in hostile_bodies(answers):
        for path in paths:
            status, data = _sent(server.port, path, body, headers)
            outcomes.setdefault(status, []).append(label)
            if status >= 500:
                errors.append(f"{label} -> {path[:20]}…: {status}")
            elif status >= 400 and path == paths[0] and status != 413:
                assert json.loads(data)["error"]["code"], label  # JSON errors, as the contract says
    # hostile tokens and form posts on the customer's page
    for s in INJECTIONS[:8]:
        status, _ = request(server.port, "GET", "/s/" + quote(s, safe=""))
        if status >= 500:
            errors.append(f"GET /s/{s!r}: {status}")
    form = "&".join(f"q_{k}=%FF%FE" for k in answers).encode() + b"&comment=%C3%28&client_id=%00"
    status, _ = request(
        server.port,
        "POST",
        f"/s/{token}",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status >= 500:
        errors.append(f"form post with invalid UTF-8: {status}")
    print("HOSTILE", {k: len(v) for k, v in sorted(outcomes.items())})
    assert not errors, "server errors:\n" + "\n".join(errors)
    # whatever was stored is stored verbatim (inert) and the ledger still verifies
    eng = sa.create_engine(url)
    with eng.connect() as c:
        comments = [
            r[0]
            for r in c.execute(sa.text("SELECT comment FROM responses WHERE comment IS NOT NULL"))
        ]
    eng.dispose()
    assert "<script>alert(1)</script>" in comments
    check = server.flask("verify-ledger")
    assert check.returncode == 0, check.stderr
