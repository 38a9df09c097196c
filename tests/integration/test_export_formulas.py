"""No export cell can run as a formula: formula text in every free-text field, every download.

The payloads go in through the services (organization, title, outlet names, single-use link
labels, comments, exclusion reasons, usernames, failed sign-ins), then every export is
downloaded through the test client, as CSV and XLSX, and read back cell by cell.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from surveyapp import exports
from surveyapp.db import db, utcnow
from surveyapp.models import Response
from surveyapp.services import accounts, audit, review, scores
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import exports as export_service
from surveyapp.services import responses as response_service
from tests import factories
from tests.helpers import bearer

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(1)", "  =1+1", "\t=1", "\r=1"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_safe(text: str) -> bool:
    """No formula start (after blanks), no leading tab or CR, unless quoted with ' first."""
    if text.startswith("'"):
        return True
    return text[:1] not in ("\t", "\r") and text.lstrip()[:1] not in ("=", "+", "-", "@")


def read_csv(body: bytes) -> list[dict]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(body: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(body)).active  # not read-only: data_type is what is stored
    cells = list(ws.iter_rows())
    for row in cells:
        for c in row:
            assert c.data_type != "f", f"{c.coordinate} is a formula: {c.value!r}"
            assert not (isinstance(c.value, str) and c.value.startswith("=")), c.coordinate
    header = [c.value for c in cells[0]]
    return [dict(zip(header, [c.value for c in row], strict=True)) for row in cells[1:]]


def read_sav(body: bytes) -> list[dict]:
    import tempfile

    import pyreadstat

    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        f.write(body)
        f.flush()
        df, _meta = pyreadstat.read_sav(f.name)
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


#: how each registered format is read back; a new format must be added here to be checked
READERS = {"csv": read_csv, "xlsx": read_xlsx, "sav": read_sav}


@pytest.fixture
def setup(app, make_user):
    scores.clear_cache()
    admin, admin_token = make_user("admin", "-boss")  # usernames may start with - or @
    auditor, _ = make_user("auditor", "@auditor")
    c = factories.make_campaign(
        outlets=PAYLOADS, organization=PAYLOADS[0], title=PAYLOADS[1], auditors=[auditor]
    )
    for k, comment in enumerate(PAYLOADS):
        sub = response_service.Submission(
            answers=factories.full_answers(c, value=1 + k % 5),
            comment=comment,
            client_id=uuid.uuid4().hex,
            started_at=utcnow() - timedelta(minutes=4),
        )
        response_service.submit_online(factories.outlet_token(c, k), sub)
    stored = db.session.scalars(db.select(Response).order_by(Response.id)).all()
    for r, reason in zip(stored, PAYLOADS, strict=True):
        review.exclude(r, reason, auditor)
    review.reinstate(stored[-1], PAYLOADS[0], auditor)
    for name in PAYLOADS:
        accounts.authenticate(name, "wrong password", "10.0.0.1")
        audit.record("test.payload", target=name, detail={"text": name}, username=name)
    batch, _links = campaign_service.issue_single_use(c.outlets[0], 0, labels=PAYLOADS)
    return {"campaign": c, "admin": admin, "token": admin_token, "batch": batch}


def download(client, url: str, media_type: str, **kw) -> bytes:
    resp = client.get(url, **kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    content_type = resp.headers["Content-Type"]
    assert content_type == media_type and content_type.count("charset") <= 1
    body = resp.get_data()
    resp.close()
    return body


def check_cells(rows: list[dict]) -> set[str]:
    """Every text cell is safe; returns the texts seen (to show the payloads got there)."""
    seen = set()
    for row in rows:
        for name, value in row.items():
            assert is_safe(name)
            if isinstance(value, str):
                assert is_safe(value), f"{name}: {value!r}"
                seen.add(value)
    return seen


def check_times(rows: list[dict], columns: tuple[str, ...]) -> int:
    times = [row[c] for row in rows for c in columns if row[c] not in ("", None)]
    assert all(isinstance(t, str) and TIME.match(t) and t.endswith("+08:00") for t in times)
    return len(times)


def quoted(text: str) -> str:
    """How a payload is exported: stripped by the service that stored it, then quoted."""
    return "'" + text.strip()


def test_every_registered_format_is_checked():
    assert set(exports.REGISTRY) == set(READERS)


@pytest.mark.parametrize("ext", ["csv", "xlsx", "sav"])
def test_responses_export(client, login, setup, ext):
    login("-boss")
    c = setup["campaign"]
    fmt = exports.get(ext)
    url = f"/campaigns/{c.id}/export/responses.{ext}"
    rows = READERS[ext](download(client, url, fmt.media_type))
    assert len(rows) == len(PAYLOADS)
    seen = check_cells(rows)
    assert {quoted(p) for p in PAYLOADS} <= seen  # outlet names and exclusion reasons
    assert "'@auditor" in seen  # excluded_by
    # every response started and was submitted; all but the reinstated one are excluded
    times = check_times(rows, ("started_at", "submitted_at", "excluded_at"))
    assert times == 3 * len(rows) - 1
    if ext == "xlsx":  # numbers are numbers, not text
        fixed = set(export_service.RESPONSE_COLUMNS)
        for row in rows:
            assert isinstance(row["id"], int) and isinstance(row["outlet_id"], int)
            assert isinstance(row["duration_s"], float | int)
            answers = [v for k, v in row.items() if k not in fixed and v is not None]
            assert answers and all(isinstance(v, int) for v in answers), answers


@pytest.mark.parametrize("ext", ["csv", "xlsx", "sav"])
def test_scores_export(client, login, setup, ext):
    login("-boss")
    c = setup["campaign"]
    url = f"/campaigns/{c.id}/export/scores.{ext}"
    rows = READERS[ext](download(client, url, exports.get(ext).media_type))
    seen = check_cells(rows)
    assert {quoted(p) for p in PAYLOADS} <= seen  # outlet rows name the outlets
    if ext == "xlsx":
        figures = [r for r in rows if r["section"] in ("survey", "dimension", "outlet")]
        assert all(isinstance(r["n"], int) for r in figures)
        assert all(r["value"] is None or isinstance(r["value"], float | int) for r in figures)
        assert any(isinstance(r["value"], float | int) for r in figures)


def test_api_exports(client, setup):
    c, auth = setup["campaign"], bearer(setup["token"])
    for url in (f"/api/v1/campaigns/{c.id}/export.csv", f"/api/v1/campaigns/{c.id}/scores.csv"):
        rows = read_csv(download(client, url, CSV_TYPE, headers=auth))
        assert rows and {quoted(p) for p in PAYLOADS} <= check_cells(rows)


def test_audit_export(client, login, setup):
    login("-boss")
    rows = read_csv(download(client, "/admin/audit.csv", CSV_TYPE))
    seen = check_cells(rows)
    assert {"'" + p for p in PAYLOADS} <= seen  # usernames of failed sign-ins, targets
    assert "'-boss" in seen and "'@auditor" in seen
    assert check_times(rows, ("at",)) == len(rows) > len(PAYLOADS)
    assert all(r["id"].isdigit() for r in rows)


def test_single_use_links_export(client, login, setup):
    """The batch page's CSV (survey links with their labels) is safe too."""
    login("-boss")
    c = setup["campaign"]
    rows = read_csv(download(client, f"/campaigns/{c.id}/batches/{setup['batch']}.csv", CSV_TYPE))
    assert len(rows) == len(PAYLOADS)
    assert {quoted(p) for p in PAYLOADS} <= check_cells(rows)
