"""Dashboard group-bys and filters, from the same arrays as the scores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from surveyapp.scoring.survey import Question, SurveyParams
from surveyapp.survey_math import (
    answer_distribution,
    compute_scores,
    filter_responses,
    per_outlet,
    responses_over_time,
)
from surveyapp.survey_math.synthetic import frame_from_rows, synthetic_frame

QUESTIONS = (
    Question("f1", "功能", "f1", "likert", "functionality"),
    Question("f2", "维修", "f2", "likert", "functionality"),
    Question("e1", "收费", "e1", "likert", "economy"),
    Question("nps", "推荐", "nps", "nps", None),
    Question("note", "意见", "note", "text", None),
)
N = None


def test_per_outlet_hand_computed():
    rows = [
        dict(channel="in_person", outlet_id=1, answers=[5, 5, 5]),  # 100
        dict(channel="online", outlet_id=1, answers=[3, 3, 3]),  # 60
        dict(channel="online", outlet_id=1, answers=[3, N, N]),  # invalid: 1 of 3
        dict(channel="online", outlet_id=2, answers=[4, 4, N]),  # f 80, economy none
    ]
    out = per_outlet(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert list(out.index) == [1, 2]
    assert out.loc[1, ["n_in_person", "n_online"]].tolist() == [1, 1]
    # outlet 1: S = 0.5·100 + 0.5·60 = 80
    assert out.loc[1, ["S_in_person", "S_online", "S"]].tolist() == pytest.approx([100, 60, 80])
    # outlet 2: no in-person answer → S = S_online = functionality only = 80
    assert np.isnan(out.loc[2, "S_in_person"])
    assert out.loc[2, "S"] == pytest.approx(80.0)
    assert np.isnan(out.loc[2, "economy"])


def test_per_outlet_agrees_with_compute_scores():
    frame = synthetic_frame(3000, outlets=5, seed=9)
    table = per_outlet(frame, SurveyParams())
    one = filter_responses(frame, outlet_ids=[3])
    r = compute_scores(one, SurveyParams())
    assert table.loc[3, "S"] == pytest.approx(r.S)
    assert table.loc[3, "n_online"] == r.n["online"]
    assert table.loc[3, "timeliness"] == pytest.approx(r.dimensions["timeliness"])
    pooled = per_outlet(frame, SurveyParams(combine="pooled"))
    assert pooled.loc[3, "S"] == pytest.approx(
        compute_scores(one, SurveyParams(combine="pooled")).S
    )


def test_answer_distribution_counts_every_value_including_not_applicable():
    rows = [
        dict(channel="in_person", answers=[5, N, 5, 10]),
        dict(channel="in_person", answers=[5, 4, 5, 0]),
        dict(channel="online", answers=[1, 1, N, N]),
        dict(channel="online", answers=[N, N, N, 9]),  # invalid → not counted by default
    ]
    d = answer_distribution(frame_from_rows(QUESTIONS, rows), SurveyParams())
    assert list(d.columns) == ["question_id", "channel", "value", "count"]
    assert set(d["question_id"]) == {"f1", "f2", "e1", "nps"}  # no text question
    f1 = d[(d.question_id == "f1") & (d.channel == "in_person")].set_index("value")["count"]
    assert f1.to_dict() == {-1: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 2}
    f2 = d[(d.question_id == "f2") & (d.channel == "in_person")].set_index("value")["count"]
    assert f2[-1] == 1 and f2[4] == 1
    nps = d[(d.question_id == "nps") & (d.channel == "in_person")].set_index("value")["count"]
    assert len(nps) == 12 and nps[10] == 1 and nps[0] == 1 and nps.sum() == 2
    e1_online = d[(d.question_id == "e1") & (d.channel == "online")].set_index("value")["count"]
    assert e1_online[-1] == 1 and e1_online.sum() == 1
    every = answer_distribution(frame_from_rows(QUESTIONS, rows), SurveyParams(), valid_only=False)
    assert every[(every.question_id == "nps") & (every.value == 9)]["count"].sum() == 1


def test_responses_over_time_counts_local_days_per_channel():
    t = pd.Timestamp
    rows = [
        dict(channel="online", answers=[5], submitted_at=t("2026-10-01 15:30", tz="UTC")),  # 23:30
        dict(channel="online", answers=[5], submitted_at=t("2026-10-01 16:30", tz="UTC")),  # 00:30
        dict(channel="in_person", answers=[5], submitted_at=t("2026-10-03 02:00", tz="UTC")),
    ]
    out = responses_over_time(frame_from_rows(QUESTIONS, rows))  # Asia/Shanghai days
    assert [d.date() for d in out.index] == [
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 2),
        dt.date(2026, 10, 3),
    ]
    assert out["online"].tolist() == [1, 1, 0]
    assert out["in_person"].tolist() == [0, 0, 1]
    utc = responses_over_time(frame_from_rows(QUESTIONS, rows), tz="UTC")
    assert utc["online"].tolist() == [2, 0, 0]


def test_filters_by_outlet_channel_and_local_date_range():
    t = pd.Timestamp
    rows = [
        dict(
            channel="online", outlet_id=1, answers=[5], submitted_at=t("2026-10-01 15:30", tz="UTC")
        ),
        dict(
            channel="online", outlet_id=2, answers=[5], submitted_at=t("2026-10-01 16:30", tz="UTC")
        ),
        dict(
            channel="in_person",
            outlet_id=1,
            answers=[5],
            submitted_at=t("2026-10-03 02:00", tz="UTC"),
        ),
    ]
    frame = frame_from_rows(QUESTIONS, rows)

    def ids(f):
        return f.meta["id"].tolist()

    assert ids(filter_responses(frame, outlet_ids=[1])) == [1, 3]
    assert ids(filter_responses(frame, channel="online")) == [1, 2]
    # 2026-10-01 in Shanghai ends at 16:00 UTC: row 2 (00:30 on Oct 2 local) is outside
    assert ids(filter_responses(frame, end=dt.date(2026, 10, 1))) == [1]
    assert ids(filter_responses(frame, start="2026-10-02", end="2026-10-02")) == [2]
    assert ids(filter_responses(frame, start=dt.datetime(2026, 10, 2, 0, 0))) == [2, 3]
    sub = filter_responses(frame, outlet_ids=[1], channel="online")
    assert sub.answers.shape == (1, len(QUESTIONS))
    with pytest.raises(ValueError, match="unknown channel"):
        filter_responses(frame, channel="phone")
