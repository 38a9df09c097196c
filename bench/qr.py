"""qr: 1,000 single-use codes issued and rendered to the printable sheet, through the web UI."""

from __future__ import annotations

import re
import time

from .common import Client, Database, Section, Server, Skipped

COUNT = 1000
LIMIT_S = 3.0
ISSUE_RULE = r"campaign_id>/outlets/<int:outlet_id>/tokens$"


def run(
    db: Database, campaign_id: int, outlet_id: int, login: tuple[str, str], rules: list[str]
) -> Section:
    """Issue COUNT single-use links for one outlet and load the sheet; the QR library alone too."""
    section = Section("qr", db.backend)
    if not any(re.search(ISSUE_RULE, r) for r in rules):
        raise Skipped("endpoint missing: POST /campaigns/<id>/outlets/<id>/tokens")
    with Server("bench.wsgi:app", db.env()) as server:
        client = Client(server.base)
        if not client.login(*login):
            raise RuntimeError("could not sign in")
        csrf = client.csrf(f"/campaigns/{campaign_id}")
        t = time.perf_counter()
        status, body, _h = client.request(
            f"/campaigns/{campaign_id}/outlets/{outlet_id}/tokens",
            form={"count": COUNT, "labels": "", "csrf_token": csrf or ""},
        )  # the redirect to the sheet is followed: issue + render in one figure
        total = time.perf_counter() - t
        codes = body.count(b"data:image/")
        if status != 200 or codes < COUNT:
            raise RuntimeError(f"sheet not rendered: {status}, {codes} codes: {body[:300]!r}")
    section.add("issue_and_sheet_1000", total, "s", op="<=", limit=LIMIT_S)
    section.add("sheet_bytes", len(body) / 2**20, "MB")
    try:
        from surveyapp import qr as qr_module

        t = time.perf_counter()
        for i in range(200):
            qr_module.data_uri(f"https://survey.example.cn/s/{i:043d}", "svg")
        section.add(
            "qr_library_svg",
            200 / (time.perf_counter() - t),
            "codes/s",
            note="surveyapp.qr.data_uri in the bench process",
        )
    except ImportError:
        pass
    return section
