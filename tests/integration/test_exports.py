"""Exports round-trip: read the CSV/XLSX back and recompute the same numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import exports, review, scores
from tests.scores_fixtures import QUESTIONS, SCORED, T0, add_responses, answers_all, make_campaign

SCALE = {1: 20, 2: 40, 3: 60, 4: 80, 5: 100}


@pytest.fixture
def campaign(app, make_user):
    scores.clear_cache()
    c = make_campaign()
    add_responses(c, "in_person", [answers_all(5), answers_all(4), [3] * 6 + [None] * 6 + [3, 7]])
    add_responses(
        c,
        "online",
        [answers_all(2), answers_all(4, nps=10)],
        outlet=c.outlets[1],
        start=T0 + timedelta(days=2),
    )
    r = db.session.scalars(db.select(Response).order_by(Response.id)).first()
    review.exclude(r, "测试排除", make_user("auditor")[0])
    return c


def _s_from_rows(rows):
    """S recomputed from exported rows: valid rows, item means, dimension means, ω = 0.5."""
    by_channel = {}
    for ch in ("in_person", "online"):
        valid = [r for r in rows if r["channel"] == ch and str(r["valid"]) in ("True", "1")]
        dims = {}
        for q in QUESTIONS[:SCORED]:
            vals = [SCALE[int(r[q["id"]])] for r in valid if r[q["id"]] not in ("", None)]
            if vals:
                dims.setdefault(q["dimension"], []).append(sum(vals) / len(vals))
        by_channel[ch] = sum(sum(v) / len(v) for v in dims.values()) / len(dims)
    return 0.5 * by_channel["in_person"] + 0.5 * by_channel["online"]


def _body(download) -> bytes:
    return b"".join(download.body)


def test_csv_round_trip(campaign):
    body = _body(exports.responses_export(campaign, "csv"))
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert list(rows[0])[: len(exports.RESPONSE_COLUMNS)] == list(exports.RESPONSE_COLUMNS)
    first = rows[0]
    assert first["excluded"] == "True" and first["exclusion_reason"] == "测试排除"
    assert first["valid"] == "False"
    assert rows[2]["fun2"] == "3" and rows[2]["tim1"] == ""  # 不适用 → empty cell
    assert rows[2]["nps"] == "7"
    assert rows[0]["submitted_at"] == "2026-09-01T10:00:00+08:00"  # Asia/Shanghai, with offset
    # in person valid: answers 4 (80) and 3 on 6 of 12 (60) → 0.5·(mean of dims)
    live = scores.campaign_scores(campaign)
    assert _s_from_rows(rows) == pytest.approx(live["S"])


def test_xlsx_round_trip(campaign):
    f = io.BytesIO(_body(exports.responses_export(campaign, "xlsx")))
    ws = load_workbook(f, read_only=True).active
    data = list(ws.iter_rows(values_only=True))
    header, body = data[0], data[1:]
    # read-only mode drops trailing empty cells: pad each row to the header
    rows = [
        dict(
            zip(
                header,
                [("" if v is None else v) for v in row] + [""] * (len(header) - len(row)),
                strict=True,
            )
        )
        for row in body
    ]
    assert len(rows) == 5
    assert _s_from_rows(rows) == pytest.approx(scores.campaign_scores(campaign)["S"])


def test_scores_exports_match(campaign):
    live = scores.campaign_scores(campaign)
    text = _body(exports.scores_export(campaign, "csv")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    s_row = next(r for r in rows if r["section"] == "survey" and r["key"] == "S")
    assert float(s_row["value"]) == pytest.approx(live["S"])
    assert any(r["section"] == "outlet" and r["name"] == "网点2" for r in rows)
    assert any(r["section"] == "parameter" and r["key"] == "scale" for r in rows)
    f = io.BytesIO(_body(exports.scores_export(campaign, "xlsx")))
    ws = load_workbook(f, read_only=True).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][4] == pytest.approx(live["S"])


def test_csv_pages(campaign, monkeypatch):
    monkeypatch.setattr(exports, "PAGE", 2)
    chunks = list(exports.responses_export(campaign, "csv").body)
    assert len(chunks) == 1 + 3  # header, then pages of 2, 2, 1
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == sorted((r[0] for r in rows[1:]), key=int)


def test_page_wise_flags_equal_the_campaign_flags(app):
    """The export flags each page from light paradata + the page's answers: same as scores.flags."""
    import numpy as np
    import pandas as pd

    from surveyapp.services import synth
    from surveyapp.survey_math.quality import row_flags

    scores.clear_cache()
    c = synth.create_campaign(5)
    synth.fill(c, 4000, seed=2)  # speeders, straight-liners, a burst, reused single-use tokens
    whole = scores.flags(c)
    assert whole[["speeding", "straight_lining", "duplicate", "burst"]].any().all()
    paradata = scores.load_paradata(c, page=700)  # pages of the light load line up too
    assert list(paradata["id"]) == list(whole.index)
    context = scores.flag_context(c)
    frame = scores.load_frame(c)
    ids = frame.meta["id"].to_numpy()
    parts = []
    for lo in range(0, len(ids), 999):
        page_ids = ids[lo : lo + 999]
        parts.append(
            row_flags(
                context,
                context.positions(page_ids),
                frame.answers[lo : lo + 999],
                frame.questions,
                ids=page_ids,
            )
        )
    pd.testing.assert_frame_equal(pd.concat(parts), whole)
    # a response the context does not know (stored after it was made) carries no flag
    late = row_flags(
        context,
        context.positions(np.array([ids[0], 10**9])),
        frame.answers[:2],
        frame.questions,
        ids=np.array([ids[0], 10**9]),
    )
    assert not late.loc[
        10**9, ["speeding", "straight_lining", "duplicate", "burst", "flagged"]
    ].any()
    assert late.loc[10**9, "reason"] == ""
    pd.testing.assert_series_equal(late.loc[ids[0]], whole.loc[ids[0]], check_names=False)
    body = _body(exports.responses_export(c, "csv"))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    flagged = {int(r["id"]) for r in rows if r["flag_reason"]}
    assert flagged == set(whole.index[whole["flagged"]])
