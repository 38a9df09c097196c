"""Group-bys for the dashboard, from the same vectorized arrays as the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.scoring.survey import CHANNELS, DIMENSIONS, SurveyParams

from .core import combine, omega_of, prepare, stats_from_sums
from .frame import DEFAULT_TZ, NAT, ResponseFrame, utc_ns

#: answer values shown per question kind; -1 = 不适用 / not answered
VALUES_BY_KIND = {"likert": (-1, 1, 2, 3, 4, 5), "nps": (-1, *range(11))}
_DAY_NS = 86_400_000_000_000


def per_outlet(frame: ResponseFrame, params: SurveyParams) -> pd.DataFrame:
    """Per outlet: valid n per channel, S_in_person, S_online, S and the combined dimensions.

    Computed exactly as the campaign's S (same validity, ω and renormalization), one row per
    outlet that has any response, indexed by outlet_id; scores NaN where there is no answer.
    """
    prep = prepare(frame, params)
    layout = prep.layout
    codes, outlets = pd.factorize(frame.meta["outlet_id"].to_numpy(dtype=np.int64), sort=True)
    n_out = len(outlets)
    groups = 2 * n_out
    rows = prep.valid
    key = codes[rows].astype(np.int64) * 2 + prep.channel[rows]
    scores = prep.scores[rows]
    answered = prep.answered[rows]
    sums = np.zeros((groups, layout.k))
    counts = np.zeros((groups, layout.k))
    for i in range(layout.k):  # one bincount per item, not per response
        sums[:, i] = np.bincount(key, weights=scores[:, i], minlength=groups)
        counts[:, i] = np.bincount(key, weights=answered[:, i], minlength=groups)
    n = np.bincount(key, minlength=groups).reshape(n_out, 2)
    sums = sums.reshape(n_out, 2, layout.k)
    counts = counts.reshape(n_out, 2, layout.k)
    s_ch, dims_ch = stats_from_sums(sums, counts, layout)
    if params.combine == "pooled":
        s_all, dims_all = stats_from_sums(sums.sum(axis=1), counts.sum(axis=1), layout)
    else:
        omega = omega_of(params)
        s_all = combine(s_ch[:, 0], s_ch[:, 1], omega)
        dims_all = combine(dims_ch[:, 0], dims_ch[:, 1], omega)
    out = pd.DataFrame(
        {
            "n_in_person": n[:, 0],
            "n_online": n[:, 1],
            "S_in_person": s_ch[:, 0],
            "S_online": s_ch[:, 1],
            "S": s_all,
        },
        index=pd.Index(outlets, name="outlet_id"),
    )
    for j, dim in enumerate(DIMENSIONS):
        out[dim] = dims_all[:, j]
    return out


def answer_distribution(
    frame: ResponseFrame, params: SurveyParams, *, valid_only: bool = True
) -> pd.DataFrame:
    """Counts of each answer value (-1 = 不适用) per question and channel, zeros included.

    Long format: question_id, channel, value, count; likert and nps questions, in order.
    """
    prep = prepare(frame, params)
    rows = prep.valid if valid_only else np.ones(len(frame), dtype=bool)
    # only the kinds counted here: a single choice's codes run to 35 and would spill into the
    # next question's cells
    counted = [i for i, question in enumerate(frame.questions) if question.kind in VALUES_BY_KIND]
    answers = frame.answers[np.ix_(rows, counted)]
    channel = prep.channel[rows]
    q = answers.shape[1]
    offsets = (np.arange(q, dtype=np.int16) * 12 + 1)[None, :]  # cell of (question, value)
    table = np.stack(
        [
            np.bincount((answers[channel == c] + offsets).ravel(), minlength=q * 12)
            for c in range(len(CHANNELS))
        ]
    ).reshape(len(CHANNELS), q, 12)
    parts = []
    for i, question in enumerate(frame.questions[j] for j in counted):
        values = VALUES_BY_KIND[question.kind]
        cols = np.array(values) + 1
        for c, ch in enumerate(CHANNELS):
            parts.append(
                pd.DataFrame(
                    {
                        "question_id": question.id,
                        "channel": ch,
                        "value": np.array(values, dtype=np.int64),
                        "count": table[c, i, cols].astype(np.int64),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {
                "question_id": pd.Series(dtype=object),
                "channel": pd.Series(dtype=object),
                "value": pd.Series(dtype=np.int64),
                "count": pd.Series(dtype=np.int64),
            }
        )
    return pd.concat(parts, ignore_index=True)


def choice_distribution(
    frame: ResponseFrame, params: SurveyParams, *, valid_only: bool = True
) -> pd.DataFrame:
    """How often each option of each choice question was picked, among the responses that
    answered it (not 不适用, not hidden): long format question_id, value, count, answered, in
    questionnaire and option order. A single choice reads its answer column, a multiple choice
    its bit set (frame.wide), so one response may count for several options of it."""
    prep = prepare(frame, params)
    rows = prep.valid if valid_only else np.ones(len(frame), dtype=bool)
    parts = []
    for i, question in enumerate(frame.questions):
        if not question.choices:
            continue
        values = np.array([c.value for c in question.choices], dtype=np.int64)
        if i in frame.wide:
            mask = frame.wide[i][rows]
            answered = mask >= 0
            picked = (mask[answered, None] >> (values[None, :] - 1)) & 1
            counts = picked.sum(axis=0)
        else:
            column = frame.answers[rows, i].astype(np.int64)
            answered = column >= 0
            counts = (column[answered, None] == values[None, :]).sum(axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "question_id": question.id,
                    "value": values,
                    "count": counts.astype(np.int64),
                    "answered": int(answered.sum()),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "question_id": pd.Series(dtype=object),
                "value": pd.Series(dtype=np.int64),
                "count": pd.Series(dtype=np.int64),
                "answered": pd.Series(dtype=np.int64),
            }
        )
    return pd.concat(parts, ignore_index=True)


def responses_over_time(frame: ResponseFrame, *, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Responses received per local day (tz) and channel, every day of the span present.

    Index `date` (midnight, naive local), columns in_person and online; all stored responses
    count, excluded and invalid ones too (this is the collection progress).
    """
    empty = pd.DataFrame(
        {ch: pd.Series(dtype=np.int64) for ch in CHANNELS}, index=pd.DatetimeIndex([], name="date")
    )
    if len(frame) == 0 or "submitted_at" not in frame.meta.columns:
        return empty
    t = utc_ns(frame.meta["submitted_at"])
    has = t != NAT
    if not has.any():
        return empty
    local = pd.DatetimeIndex(t[has].view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
    wall = local.tz_localize(None).to_numpy().astype("datetime64[ns]").view(np.int64)
    day = wall // _DAY_NS
    first = int(day.min())
    span = int(day.max()) - first + 1
    key = (day - first) * 2 + frame.channel_codes()[has]
    counts = np.bincount(key, minlength=2 * span).reshape(span, 2)
    days = (np.arange(span, dtype=np.int64) + first) * _DAY_NS
    index = pd.DatetimeIndex(days.view("datetime64[ns]"), name="date")
    return pd.DataFrame(
        {ch: counts[:, c].astype(np.int64) for c, ch in enumerate(CHANNELS)}, index=index
    )
