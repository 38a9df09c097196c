"""Quality flags' reasons on the review page, in the reader's language (issue 14)."""

from __future__ import annotations

import flask_babel

from surveyapp.web.flag_words import reason_words

REASON = (
    "答题过快：用时 12 秒，不到渠道中位数 180 秒的一半；直线作答：18 个答案全部为 5；奇怪的新理由"
)


def test_every_sentence_the_survey_math_writes_is_known(app):
    """Each kind of flag, planted in a real frame, reads back through the catalogue."""
    import numpy as np
    import pandas as pd

    from surveyapp.scoring.survey import Question
    from surveyapp.survey_math.quality import flag_context, row_flags

    qs = tuple(Question(f"q{i}", "题", "q", "likert", "functionality") for i in range(6))
    t0 = pd.Timestamp("2026-11-08T02:00:00Z")
    meta = pd.DataFrame(
        {
            "id": np.arange(1, 8),
            "channel": ["online"] * 7,
            "submitted_at": [t0 + pd.Timedelta(seconds=k) for k in range(7)],
            "duration_s": [1.0, 300, 300, 300, 300, np.nan, 300],
            "client_id": ["a", "a", "b", "c", "d", "e", "f"],
            "fingerprint": ["x"] * 7,
        }
    )
    context = flag_context(meta, burst_count=5, burst_minutes=10, network_burst_count=11)
    answers = np.array([[5] * 6] * 7, dtype=np.int8)
    flags = row_flags(context, context.positions(meta["id"].to_numpy()), answers, qs)
    reasons = [r for r in flags["reason"] if r]
    assert reasons
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        for reason in reasons:
            words = reason_words(reason)
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in words), (reason, words)


def test_english_and_chinese_readers(app):
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        words = reason_words(REASON)
        assert "Too fast: 12 s, under half the channel's median of 180 s" in words
        assert "Straight-lining: all 18 answers are 5" in words
        assert words.endswith("奇怪的新理由")  # an unknown sentence is shown as it is
    with app.test_request_context("/?lang=zh"):
        flask_babel.refresh()
        assert reason_words(REASON).startswith("答题过快：用时 12 秒")
        assert reason_words("") == ""
