"""Exports: what the responses and scores exports hold, written by any registered format.

This module decides the rows (one per response, one column per question; the scores by
section); `surveyapp.exports` decides how a format writes them and makes every cell
spreadsheet-safe, with times in the app's zone and their UTC offset. Responses are read in
id-ordered pages, so a streamed format (CSV) keeps memory flat whatever the campaign's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce

from .. import exports as formats
from ..db import db
from ..i18n import local_zone
from ..models import Campaign, Response, User
from ..question_kinds import kind_of
from ..scoring.survey import CHANNELS, DIMENSION_NAMES_ZH, DIMENSIONS
from ..survey_math import FLAG_COLUMNS, unpack_answers
from ..survey_math.core import make_layout, score_arrays, valid_mask
from ..survey_math.packing import unpack_fields, unpack_wide, widths_of
from ..survey_math.quality import row_flags
from . import dashboard, review, scores

PAGE = 10_000  #: responses per page read and written (a page costs ~2 KB per row while built)

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
    "comment",  #: the customer's own words (CONTRACT December: every export holds them)
    "contact_consent",  #: the contact itself never leaves the database in an export
    "contact_share",  #: and agreed to pass it to the certified company
)

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


Download = formats.Download


def responses_export(campaign: Campaign, fmt: str = "csv") -> Download:
    """The responses export in the format named; DomainError export_too_large before any work
    if it won't fit."""
    f = formats.get(fmt)
    table = responses_table(campaign, counted=f.max_rows is not None)
    return _download(campaign, "responses", f, table)


def scores_export(
    campaign: Campaign, fmt: str = "csv", flt: scores.ScoreFilter = scores.NO_FILTER
) -> Download:
    """The scores export (overall, channels, dimensions, outlets, parameters) in that format."""
    return _download(campaign, "scores", formats.get(fmt), scores_table(campaign, flt))


def _download(campaign: Campaign, kind: str, f: formats.Format, table: formats.Table) -> Download:
    return formats.download(f, table, f"campaign-{campaign.id}-{kind}")


def rows_download(
    name: str, header: list[str], rows: list[list[Any]], stem: str, fmt: str = "csv"
) -> Download:
    """A small table of plain rows (a batch of links, say) as a download in any format."""
    table = formats.Table.from_rows(name, header, rows, local_zone(), count=len(rows))
    return formats.download(formats.get(fmt), table, stem)


# ---- responses --------------------------------------------------------------------------------


def _answer_columns(questions) -> list[tuple[int, Any, list[tuple[str, str, dict]]]]:
    """(position, question, its export columns) of each question with answer columns, as its
    kind gives them: one per question (the code), a multiple choice one 0/1 per option; a text
    question's words are the response's `comment`, so it gets none (its id, often `comment`,
    would shadow that column)."""
    out = []
    for i, q in enumerate(questions):
        columns = kind_of(q).export_columns(q)
        if columns:
            out.append((i, q, columns))
    return out


def response_header(campaign: Campaign) -> list[str]:
    """The header row: fixed columns then the questions' answer columns."""
    questions = scores.questions_of(campaign)
    columns = [c for _i, _q, cols in _answer_columns(questions) for c in cols]
    return [*RESPONSE_COLUMNS, *(name for name, _label, _words in columns)]


#: what the fixed columns mean, in words (SPSS variable labels)
COLUMN_LABELS = {
    "id": "答卷编号",
    "channel": "渠道（in_person 当面，online 电子）",
    "outlet_id": "服务网点编号",
    "outlet": "服务网点",
    "started_at": "开始答题时间",
    "submitted_at": "提交时间",
    "duration_s": "用时（秒）",
    "valid": "有效答卷（计入得分）",
    "speeding": "答题过快",
    "straight_lining": "直线作答",
    "duplicate": "重复提交",
    "burst": "短时集中提交",
    "no_timing": "无答题计时",
    "flag_reason": "标记原因",
    "excluded": "已排除",
    "exclusion_reason": "排除原因",
    "excluded_by": "排除人",
    "excluded_at": "排除时间",
    "comment": "意见和建议",
    "contact_consent": "同意回访",
    "contact_share": "同意提供给企业",
}
YES_NO = {0: "否", 1: "是"}


def responses_table(
    campaign: Campaign, zone: tzinfo | None = None, counted: bool = True
) -> formats.Table:
    """The responses as a table: header, pages read lazily, and (if counted) the row count;
    with each column's meaning and each answer code's words (a blank answer is 不适用)."""
    questions = scores.questions_of(campaign)
    columns = [c for _i, _q, cols in _answer_columns(questions) for c in cols]
    booleans = ("valid", *FLAG_COLUMNS, "excluded", "contact_consent", "contact_share")
    return formats.Table(
        "responses",
        tuple(response_header(campaign)),
        response_pages(campaign),
        zone or local_zone(),
        rows=_count(campaign) if counted else None,
        labels={**COLUMN_LABELS, **{name: label for name, label, _w in columns}},
        value_labels={
            **{name: YES_NO for name in booleans},
            **{name: words for name, _label, words in columns if words},
        },
    )


def _count(campaign: Campaign) -> int:
    stmt = select(db.func.count()).where(Response.campaign_id == campaign.id)
    return db.session.scalar(stmt) or 0


def _utc(values: list) -> pd.Series:
    """Stored times (text on SQLite, datetimes on PostgreSQL) as aware UTC timestamps."""
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")


def _read_page(campaign: Campaign, after: int) -> list:
    r = Response
    return db.session.execute(
        # `+ 0`: walk the primary key from `after` (keyset paging), never the campaign index,
        # which would re-sort the whole campaign for every page
        select(
            r.id,
            r.channel,
            r.outlet_id,
            type_coerce(r.started_at, String),
            type_coerce(r.submitted_at, String),
            r.duration_s,
            r.excluded,
            r.answers,
            r.comment,
            r.contact_consent,
            r.contact_share,
        )
        .where((r.campaign_id + 0) == campaign.id, r.id > after)
        .order_by(r.id)
        .limit(PAGE)
    ).all()


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
    last = 0
    while rows := _read_page(campaign, last):
        last = rows[-1][0]
        (
            ids,
            channel,
            outlet,
            started,
            submitted,
            duration,
            excluded,
            packed,
            comment,
            consent,
            share,
        ) = map(list, zip(*rows, strict=True))
        answers = unpack_answers(packed, widths_of(questions))
        excl = np.asarray(excluded, dtype=bool)
        id_arr = np.asarray(ids, dtype=np.int64)
        wide = unpack_wide(packed, widths_of(questions))
        f = row_flags(context, context.positions(id_arr), answers, questions, ids=id_arr, wide=wide)
        changes = [reasons.get(i) if e else None for i, e in zip(ids, excl, strict=True)]
        page = pd.DataFrame(
            {
                "id": ids,
                "channel": channel,
                "outlet_id": outlet,
                "outlet": [outlets.get(o, "") for o in outlet],
                "started_at": _utc(started),
                "submitted_at": _utc(submitted),
                "duration_s": duration,
                "valid": valid_mask(score_arrays(answers, layout)[2], excl, layout),
                **{name: f[name].fillna(False).astype(bool).to_numpy() for name in FLAG_COLUMNS},
                "flag_reason": f["reason"].fillna("").to_numpy(),
                "excluded": excl,
                "exclusion_reason": [x.reason if x else "" for x in changes],
                "excluded_by": [users.get(x.user_id, "") if x else "" for x in changes],
                "excluded_at": pd.to_datetime([x.at if x else None for x in changes], utc=True),
                "comment": [c or "" for c in comment],
                "contact_consent": np.asarray(consent, dtype=bool),
                "contact_share": np.asarray(share, dtype=bool),
            }
        )
        widths = widths_of(questions)
        values = {}
        for i, q, _cols in _answer_columns(questions):
            # a one-character answer is its matrix column; a wider one its own characters
            codes = answers[:, i : i + 1] if widths[i] == 1 else unpack_fields(packed, widths, i)
            values.update(kind_of(q).export_values(q, codes))
        yield pd.concat([page, pd.DataFrame(values, index=page.index).astype("Int64")], axis=1)
        if len(rows) < PAGE:
            return


def _usernames(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.username for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


# ---- scores -----------------------------------------------------------------------------------

_SURVEY = (
    ("S", "all", "顾客感知调查 S"),
    ("S_in_person", "in_person", "当面问卷 S当面"),
    ("S_online", "online", "电子问卷 S电子"),
)


def scores_table(
    campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER, zone: tzinfo | None = None
) -> formats.Table:
    """The scores as a table with SCORE_HEADER columns."""
    return formats.Table.from_rows(
        "scores", SCORE_HEADER, score_rows(campaign, flt), zone or local_zone()
    )


def score_rows(campaign: Campaign, flt: scores.ScoreFilter = scores.NO_FILTER) -> list[list]:
    """The scores as rows: S figures, dimensions overall and per channel, outlets, parameters."""
    s = scores.campaign_scores(campaign, flt)
    return [
        *_survey_rows(s),
        *_dimension_rows(s),
        *_outlet_rows(dashboard.outlet_table(campaign, flt)),
        *(
            ["parameter", key, key, "", _param_value(value), None, None, None, None, None]
            for key, value in s["parameters"].items()
        ),
    ]


def _interval(ci: Any) -> tuple[Any, Any]:
    return (ci[0], ci[1]) if ci else (None, None)


def _survey_rows(s: dict) -> list[list]:
    n_all = sum(s["n"].values())
    rows = []
    for key, channel, name in _SURVEY:
        n = n_all if channel == "all" else s["n"][channel]
        lo, hi = _interval(s["ci95"].get(key))
        sufficient, marginal = s["sufficient"].get(key), s["marginal"].get(key)
        rows.append(["survey", key, name, channel, s[key], lo, hi, n, sufficient, marginal])
    return rows


def _dimension_rows(s: dict) -> list[list]:
    n_all = sum(s["n"].values())
    rows = []
    for dim in DIMENSIONS:
        name = DIMENSION_NAMES_ZH[dim]
        lo, hi = _interval(s["ci95"]["dimensions"].get(dim))
        rows.append(
            ["dimension", dim, name, "all", s["dimensions"][dim], lo, hi, n_all, None, None]
        )
        for ch in CHANNELS:
            lo, hi = _interval(s["ci95"]["dimensions_by_channel"][ch].get(dim))
            value = s["dimensions_by_channel"][ch][dim]
            rows.append(["dimension", dim, name, ch, value, lo, hi, s["n"][ch], None, None])
    return rows


def _outlet_rows(table: list[dict]) -> list[list]:
    rows = []
    for o in table:
        for key, channel, _name in _SURVEY:
            n = o["n_in_person"] + o["n_online"] if channel == "all" else o[f"n_{channel}"]
            rows.append(["outlet", key, o["name"], channel, o[key], None, None, n, None, None])
    return rows


def _param_value(value: Any) -> Any:
    """A survey parameter as one cell: numbers and booleans as they are, lists and maps as text."""
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value
