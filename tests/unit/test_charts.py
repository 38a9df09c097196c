"""charts: DataFrame → plotly Figure, no Flask and no database."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from surveyapp import charts


def test_dimension_bars_error_bars_from_intervals():
    df = pd.DataFrame(
        {
            "name": ["功能性", "功能性", "经济性", "经济性"],
            "channel": ["in_person", "online", "in_person", "online"],
            "score": [90.0, 80.0, np.nan, 70.0],
            "lo": [85.0, 78.0, np.nan, 60.0],
            "hi": [93.0, 81.0, np.nan, 72.0],
        }
    )
    fig = charts.dimension_bars(df)
    assert [t.name for t in fig.data] == ["当面", "电子"]
    online = fig.data[1]
    assert list(online.error_y.array) == [1.0, 2.0]
    assert list(online.error_y.arrayminus) == [2.0, 10.0]
    json.loads(fig.to_json())


def test_headline_svg_bars_whiskers_thresholds_and_escaping():
    df = pd.DataFrame(
        {
            "name": ["S", "<b>当面</b>", "S电子"],
            "score": [88.0, np.nan, 55.0],
            "lo": [85.0, np.nan, 44.0],
            "hi": [91.0, np.nan, 66.0],
            "note": ["临界", "", "样本不足"],
        }
    )
    svg = charts.measures_svg(df, [80, 90])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2  # no bar where there is no S
    assert "88.00 临界" in svg and "55.00 样本不足" in svg and "—" in svg
    assert svg.count('stroke-dasharray="5 4"') == 2  # the thresholds 80 and 90
    assert "&lt;b&gt;当面&lt;/b&gt;" in svg and "<b>" not in svg
    # the plot spans 0..110 over 208 px from y = 16: 88 sits at 16 + 208·(1 − 0.8) = 57.6
    assert 'y="57.6"' in svg


def test_answer_distribution_shares():
    df = pd.DataFrame(
        {
            "question_id": ["q1"] * 3 + ["q2"] * 3,
            "value": [5, 4, -1] * 2,
            "count": [3, 1, 0, 0, 2, 2],
        }
    )
    fig = charts.answer_distribution(df, {"q1": "题一", "q2": "题二"})
    by_name = {t.name: list(t.x) for t in fig.data}
    assert by_name["非常满意"] == [75.0, 0.0]
    assert by_name["不适用"] == [0.0, 50.0]
    assert fig.layout.barmode == "stack"


def test_responses_over_time():
    df = pd.DataFrame(
        {"in_person": [1, 0], "online": [2, 5]},
        index=pd.DatetimeIndex(["2026-09-01", "2026-09-02"], name="date"),
    )
    fig = charts.responses_over_time(df)
    assert list(fig.data[1].y) == [2, 5]
    assert list(fig.data[0].x) == ["2026-09-01", "2026-09-02"]
