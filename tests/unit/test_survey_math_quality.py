"""Quality flags: each triggered and not triggered; flags never exclude a response."""

from __future__ import annotations

import pandas as pd
import pytest

from surveyapp.scoring.survey import DIMENSIONS, Question, SurveyParams
from surveyapp.survey_math import FLAG_COLUMNS, compute_scores, quality_flags
from surveyapp.survey_math.synthetic import frame_from_rows

QUESTIONS = tuple(Question(f"q{i}", "题", "q", "likert", DIMENSIONS[i % 6]) for i in range(8)) + (
    Question("note", "意见", "comment", "text", None),
)
VARIED = [5, 4, 5, 4, 5, 4, 5, 4]
T0 = pd.Timestamp("2026-10-01 09:00", tz="UTC")


def at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


def flags(rows):
    return quality_flags(frame_from_rows(QUESTIONS, rows))


def test_clean_responses_are_not_flagged():
    out = flags(
        [
            dict(
                channel="online", answers=VARIED, client_id=f"c{i}", token_id=i, fingerprint=f"d{i}"
            )
            for i in range(5)
        ]
    )
    assert list(out.columns) == [*FLAG_COLUMNS, "flagged", "reason"]
    assert out.index.name == "id" and list(out.index) == [1, 2, 3, 4, 5]
    assert not out[list(FLAG_COLUMNS) + ["flagged"]].to_numpy().any()
    assert (out["reason"] == "").all()


def test_speeding_under_half_the_channel_median():
    # online durations 300 300 300 100 300: median 300, half 150 → 100 is speeding;
    # 100 s ≥ 3 s × 8 answers, so only the median rule fires
    durations = [300, 300, 300, 100, 300]
    out = flags([dict(channel="online", answers=VARIED, duration_s=d) for d in durations])
    assert out["speeding"].tolist() == [False, False, False, True, False]
    assert "中位数 300 秒的一半" in out.loc[4, "reason"]


def test_speeding_under_three_seconds_per_answered_question():
    # in person: durations 20 and 10 → median 15, half 7.5 (neither below it);
    # row 1 answers 5 questions (20 ≥ 15: fine), row 2 answers 8 (10 < 24: speeding)
    out = flags(
        [
            dict(channel="in_person", answers=[5, 4, 5, 4, 5, None, None, None], duration_s=20),
            dict(channel="in_person", answers=VARIED, duration_s=10),
        ]
    )
    assert out["speeding"].tolist() == [False, True]
    assert "每题 3 秒 × 8 题" in out.loc[2, "reason"]


def test_straight_lining_needs_six_identical_answers():
    out = flags(
        [
            dict(channel="online", answers=[5] * 8),  # 8 × 非常满意: flagged (auditor judges)
            dict(channel="online", answers=[5] * 5 + [None] * 3),  # only 5 answered
            dict(channel="online", answers=[4] * 7 + [5]),  # varies once
            dict(channel="online", answers=[3] * 6 + [None] * 2),  # 6 answered, all 3
        ]
    )
    assert out["straight_lining"].tolist() == [True, False, False, True]
    assert out.loc[1, "reason"] == "直线作答：8 个答案全部为 5"


def test_duplicate_client_id_and_reused_single_use_token():
    out = flags(
        [
            dict(channel="online", answers=VARIED, client_id="abc", submitted_at=at(5)),
            dict(channel="online", answers=VARIED, client_id="abc", submitted_at=at(1)),  # earlier
            dict(channel="online", answers=VARIED, client_id="xyz", token_id=7, submitted_at=at(2)),
            dict(channel="online", answers=VARIED, token_id=7, submitted_at=at(3)),
            dict(channel="online", answers=VARIED, token_id=8, submitted_at=at(4)),
        ]
    )
    # row 1 is the later use of "abc" (row 2 was submitted first); row 4 reuses token 7
    assert out["duplicate"].tolist() == [True, False, False, True, False]
    assert "客户端 id" in out.loc[1, "reason"]
    assert "一次性链接" in out.loc[4, "reason"]


def test_burst_of_five_from_one_device_within_ten_minutes():
    rows = (
        [
            dict(channel="online", answers=VARIED, fingerprint="dev1", submitted_at=at(m))
            for m in (0, 2, 4, 6, 9.5)
        ]  # 5 within 9.5 min → all flagged
        + [
            dict(channel="online", answers=VARIED, fingerprint="dev2", submitted_at=at(m))
            for m in (0, 5, 10, 15, 20)
        ]  # 5 spread over 20 min → none
        + [
            dict(channel="online", answers=VARIED, fingerprint="dev3", submitted_at=at(m))
            for m in (0, 0.2, 0.4, 0.6)
        ]  # only 4 → none
        + [
            dict(channel="online", answers=VARIED, fingerprint=None, submitted_at=at(m))
            for m in (0, 0, 0, 0, 0)
        ]  # no fingerprint → never a burst
    )
    out = flags(rows)
    assert out["burst"].tolist() == [True] * 5 + [False] * 14
    assert "10 分钟内 ≥5 份" in out.loc[1, "reason"]


def test_burst_parameters_are_configurable():
    rows = [
        dict(channel="online", answers=VARIED, fingerprint="d", submitted_at=at(m))
        for m in (0, 5, 10)
    ]
    frame = frame_from_rows(QUESTIONS, rows)
    assert not quality_flags(frame)["burst"].any()
    assert quality_flags(frame, burst_count=3, burst_minutes=10)["burst"].all()


def test_several_reasons_are_joined_and_flags_do_not_exclude():
    rows = [dict(channel="online", answers=VARIED, duration_s=300) for _ in range(3)]
    rows.append(dict(channel="online", answers=[5] * 8, duration_s=10))
    frame = frame_from_rows(QUESTIONS, rows)
    out = quality_flags(frame)
    assert out.loc[4, ["speeding", "straight_lining", "flagged"]].tolist() == [True, True, True]
    assert out.loc[4, "reason"].count("；") == 1
    assert compute_scores(frame, SurveyParams()).n["online"] == 4


@pytest.mark.parametrize("column", ["client_id", "fingerprint"])
def test_empty_strings_are_not_identities(column):
    rows = [
        dict(channel="online", answers=VARIED, submitted_at=at(0), **{column: ""}) for _ in range(6)
    ]
    out = flags(rows)
    assert not out["duplicate"].any() and not out["burst"].any()
