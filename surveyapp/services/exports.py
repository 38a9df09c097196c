"""Exports: responses (one row each, one column per question) and scores, as CSV and XLSX.

CSV is a generator of UTF-8 byte chunks with a BOM first (Excel then opens Chinese correctly);
responses are read in id-ordered pages, so memory stays flat whatever the campaign's size.
XLSX uses openpyxl's write-only mode and is limited to Excel's row count.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from sqlalchemy import String, select, type_coerce

from ..db import db
from ..models import Campaign, Response, User
from ..scoring.survey import CHANNELS, DIMENSION_NAMES_ZH, DIMENSIONS
from ..survey_math import DEFAULT_TZ, FLAG_COLUMNS, unpack_answers
from ..survey_math.core import make_layout, score_arrays, valid_mask
from ..survey_math.quality import row_flags
from . import dashboard, review, scores

BOM = "\ufeff"
PAGE = 10_000  #: responses per page read and written (a page costs ~2 KB per row while built)
XLSX_MAX_ROWS = 1_048_575  #: Excel's limit minus the header
CHANNEL_ZH = {"in_person": "当面", "online": "电子"}

RESPONSE_COLUMNS = (
    "id",
    "channel",
    "outlet_id",
    "outlet",
    "started_at",
    "submitted_at",
    "duration_s",
    "valid",
    *FLAG_COLUMNS,
    "flag_reason",
    "excluded",
    "exclusion_reason",
    "excluded_by",
    "excluded_at",
)


class ExportTooLarge(Exception):
    """The campaign has more responses than an XLSX sheet holds."""


def disposition(campaign: Campaign, kind: str, ext: str) -> str:
    """Content-Disposition header value: an ASCII file name naming the campaign."""
    return f'attachment; filename="campaign-{campaign.id}-{kind}.{ext}"'


def response_header(campaign: Campaign) -> list[str]:
    """The header row: fixed columns then one column per question id."""
    return [*RESPONSE_COLUMNS, *(q.id for q in scores.questions_of(campaign))]


def _local(values: list) -> pd.Series:
    ts = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return ts.dt.tz_convert(DEFAULT_TZ).dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)


def response_pages(campaign: Campaign) -> Iterator[pd.DataFrame]:
    """The campaign's responses as DataFrames of up to PAGE rows, in id order, export columns."""
    questions = scores.questions_of(campaign)
    layout = make_layout(questions, scores.params_of(campaign))  # validity exactly as the scores
    # campaign-wide flag inputs from light paradata columns (no answers matrix); the
    # answer-based flags are computed with each page
    context = scores.flag_context(campaign)
    outlets = scores.outlet_names(campaign)
    reasons = review.exclusion_reasons(campaign)
    users = _usernames({x.user_id for x in reasons.values()})
    r = Response
    cols = (
        r.id,
        r.channel,
        r.outlet_id,
        type_coerce(r.started_at, String),
        type_coerce(r.submitted_at, String),
        r.duration_s,
        r.excluded,
        r.answers,
    )
    last = 0
    while True:
        rows = db.session.execute(
            # `+ 0`: walk the primary key from `last` (keyset paging), never the campaign
            # index, which would re-sort the whole campaign for every page
            select(*cols)
            .where((r.campaign_id + 0) == campaign.id, r.id > last)
            .order_by(r.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        ids, channel, outlet, started, submitted, duration, excluded, packed = map(
            list, zip(*rows, strict=True)
        )
        answers = unpack_answers(packed, len(questions))
        excl = np.asarray(excluded, dtype=bool)
        valid = valid_mask(score_arrays(answers, layout)[2], excl, layout)
        id_arr = np.asarray(ids, dtype=np.int64)
        f = row_flags(context, context.positions(id_arr), answers, questions, ids=id_arr)
        last_change = [reasons.get(i) for i in ids]
        page = pd.DataFrame(
            {
                "id": ids,
                "channel": channel,
                "outlet_id": outlet,
                "outlet": [outlets.get(o, "") for o in outlet],
                "started_at": _local(started),
                "submitted_at": _local(submitted),
                "duration_s": duration,
                "valid": valid,
                **{name: f[name].fillna(False).astype(bool).to_numpy() for name in FLAG_COLUMNS},
                "flag_reason": f["reason"].fillna("").to_numpy(),
                "excluded": excl,
                "exclusion_reason": [
                    x.reason if x is not None and e else ""
                    for x, e in zip(last_change, excl, strict=True)
                ],
                "excluded_by": [
                    users.get(x.user_id, "") if x is not None and e else ""
                    for x, e in zip(last_change, excl, strict=True)
                ],
                "excluded_at": [
                    x.at.isoformat(timespec="seconds") if x is not None and e else ""
                    for x, e in zip(last_change, excl, strict=True)
                ],
            }
        )
        values = pd.DataFrame(answers.astype(np.float64), columns=[q.id for q in questions])
        values = values.where(answers >= 0).astype("Int64")
        yield pd.concat([page, values], axis=1)
        if len(rows) < PAGE:
            return


def _usernames(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.username for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def responses_csv(campaign: Campaign) -> Iterator[bytes]:
    """Stream the responses export: BOM + header, then one chunk per page of responses."""
    out = io.StringIO()
    csv.writer(out).writerow(response_header(campaign))
    yield (BOM + out.getvalue()).encode("utf-8")
    for page in response_pages(campaign):
        yield page.to_csv(index=False, header=False, lineterminator="\r\n").encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def responses_xlsx(campaign: Campaign) -> io.BufferedRandom:
    """The responses export as an XLSX file (write-only mode), rewound, ready to send."""
    if _count(campaign) > XLSX_MAX_ROWS:
        raise ExportTooLarge(f"超过 Excel 的 {XLSX_MAX_ROWS} 行上限，请导出 CSV")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    ws.append(response_header(campaign))
    for page in response_pages(campaign):
        for row in page.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
    return _saved(wb)


def _count(campaign: Campaign) -> int:
    return (
        db.session.scalar(select(db.func.count()).where(Response.campaign_id == campaign.id)) or 0
    )


def _saved(wb: Workbook) -> io.BufferedRandom:
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned to the caller
    wb.save(tmp)
    tmp.seek(0)
    return tmp


# ---- scores -----------------------------------------------------------------------------------

SCORE_HEADER = (
    "section",
    "key",
    "name",
    "channel",
    "value",
    "ci95_low",
    "ci95_high",
    "n",
    "sufficient",
    "marginal",
)


def _interval(ci: Any) -> tuple[Any, Any]:
    return (ci[0], ci[1]) if ci else (None, None)


def score_rows(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER) -> list[list]:
    """The scores as rows: S figures, dimensions overall and per channel, outlets, parameters."""
    s = scores.campaign_scores(campaign, flt)
    n_all = sum(s["n"].values())
    rows: list[list] = []
    names = {"S": "顾客感知调查 S", "S_in_person": "当面问卷 S当面", "S_online": "电子问卷 S电子"}
    for key, channel, n in (
        ("S", "all", n_all),
        ("S_in_person", "in_person", s["n"]["in_person"]),
        ("S_online", "online", s["n"]["online"]),
    ):
        lo, hi = _interval(s["ci95"].get(key))
        rows.append(
            [
                "survey",
                key,
                names[key],
                channel,
                s[key],
                lo,
                hi,
                n,
                s["sufficient"].get(key),
                s["marginal"].get(key),
            ]
        )
    for dim in DIMENSIONS:
        lo, hi = _interval(s["ci95"]["dimensions"].get(dim))
        rows.append(
            [
                "dimension",
                dim,
                DIMENSION_NAMES_ZH[dim],
                "all",
                s["dimensions"][dim],
                lo,
                hi,
                n_all,
                None,
                None,
            ]
        )
        for ch in CHANNELS:
            lo, hi = _interval(s["ci95"]["dimensions_by_channel"][ch].get(dim))
            rows.append(
                [
                    "dimension",
                    dim,
                    DIMENSION_NAMES_ZH[dim],
                    ch,
                    s["dimensions_by_channel"][ch][dim],
                    lo,
                    hi,
                    s["n"][ch],
                    None,
                    None,
                ]
            )
    table = dashboard.outlet_table(campaign, flt)
    for o in table:
        for key, channel in (("S", "all"), ("S_in_person", "in_person"), ("S_online", "online")):
            n = o["n_in_person"] + o["n_online"] if channel == "all" else o[f"n_{channel}"]
            rows.append(["outlet", key, o["name"], channel, o[key], None, None, n, None, None])
    for key, value in s["parameters"].items():
        rows.append(["parameter", key, key, "", _param_text(value), None, None, None, None, None])
    return rows


def _param_text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def scores_csv(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER) -> bytes:
    """The scores export as CSV bytes (UTF-8 with BOM)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(SCORE_HEADER)
    for row in score_rows(campaign, flt):
        w.writerow(["" if v is None else v for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


def scores_xlsx(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER):
    """The scores export as an XLSX file, rewound."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("scores")
    ws.append(list(SCORE_HEADER))
    for row in score_rows(campaign, flt):
        ws.append([_cell(v) for v in row])
    return _saved(wb)
