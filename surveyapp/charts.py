"""DataFrame → plotly Figure for the dashboard and the report. No Flask, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

CHANNEL_NAMES = {"in_person": "当面", "online": "电子", "all": "合并"}
CHANNEL_COLORS = {"in_person": "#c4161c", "online": "#0b57d0", "all": "#5b636e"}
#: answer value → label and colour, 不适用 last; NPS values get a red-to-green ramp
LIKERT = {
    1: ("非常不满意", "#b42318"),
    2: ("不满意", "#f04438"),
    3: ("一般", "#d0d5dd"),
    4: ("满意", "#32d583"),
    5: ("非常满意", "#039855"),
    -1: ("不适用", "#98a2b3"),
}
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        template="none",
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin={"l": 48, "r": 12, "t": 44, "b": 40},
        font={"family": FONT, "size": 12},
        legend={"orientation": "h", "y": -0.15},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
    )
    return fig


def _errors(df: pd.DataFrame) -> dict:
    """error_y from lo/hi columns around score (plotly wants distances, not bounds)."""
    up = (df["hi"] - df["score"]).clip(lower=0)
    down = (df["score"] - df["lo"]).clip(lower=0)
    return {
        "type": "data",
        "symmetric": False,
        "array": up.fillna(0).round(2).tolist(),
        "arrayminus": down.fillna(0).round(2).tolist(),
        "thickness": 1.2,
        "width": 4,
    }


def dimension_bars(df: pd.DataFrame, title: str = "六个维度得分（95% 区间）") -> go.Figure:
    """Grouped bars: one group per dimension, one bar per channel, error bars = interval.

    Columns: name (dimension label), channel, score, lo, hi (NaN = no data).
    """
    fig = go.Figure()
    for channel, part in df.groupby("channel", sort=False):
        fig.add_bar(
            x=part["name"].tolist(),
            y=part["score"].round(2).tolist(),
            name=CHANNEL_NAMES.get(channel, channel),
            marker_color=CHANNEL_COLORS.get(channel),
            error_y=_errors(part),
            hovertemplate="%{x} %{y:.2f}<extra>" + CHANNEL_NAMES.get(channel, channel) + "</extra>",
        )
    fig.update_yaxes(range=[0, 105], title_text="分")
    fig.update_layout(barmode="group")
    return _layout(fig, title)


def survey_vs_thresholds(
    df: pd.DataFrame, thresholds: Sequence[float], title: str = "S、S当面、S电子与星级门槛"
) -> go.Figure:
    """Bars for S, S_in_person, S_online with intervals, and a dashed line per threshold.

    Columns: name, score, lo, hi, note (e.g. "样本不足", "临界") shown above each bar.
    """
    fig = go.Figure()
    fig.add_bar(
        x=df["name"].tolist(),
        y=df["score"].round(2).tolist(),
        marker_color=["#5b636e", CHANNEL_COLORS["in_person"], CHANNEL_COLORS["online"]][: len(df)],
        error_y=_errors(df),
        text=[
            f"{s:.2f} {n}".strip() if pd.notna(s) else "—"
            for s, n in zip(df["score"], df["note"], strict=True)
        ],
        textposition="outside",
        cliponaxis=False,
        showlegend=False,
    )
    for t in thresholds:
        fig.add_hline(
            y=float(t),
            line_dash="dash",
            line_color="#9a6700",
            line_width=1,
            annotation_text=f"{float(t):g}",
            annotation_position="right",
        )
    fig.update_yaxes(range=[0, 110], title_text="分")
    return _layout(fig, title, height=340)


def answer_distribution(
    df: pd.DataFrame, labels: Mapping[str, str], title: str = "各题答案分布"
) -> go.Figure:
    """Stacked horizontal bars: share of each answer per question (likert questions).

    Columns: question_id, value, count (channels already summed or filtered).
    """
    table = df.pivot_table(
        index="question_id", columns="value", values="count", aggfunc="sum", sort=False
    ).fillna(0)
    order = [q for q in labels if q in table.index]
    table = table.reindex(order)
    totals = table.sum(axis=1).replace(0, np.nan)
    fig = go.Figure()
    names = [labels[q] for q in order]
    for value, (label, color) in LIKERT.items():
        if value not in table.columns:
            continue
        share = (table[value] / totals * 100).fillna(0).round(1)
        fig.add_bar(
            y=names,
            x=share.tolist(),
            name=label,
            orientation="h",
            marker_color=color,
            customdata=table[value].astype(int).tolist(),
            hovertemplate="%{y}: %{x:.1f}% (%{customdata})<extra>" + label + "</extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 100], title_text="%")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title, height=max(260, 26 * len(order) + 110))


def responses_over_time(df: pd.DataFrame, title: str = "每日收到的答卷") -> go.Figure:
    """Lines of responses per local day, one per channel (index: date; columns: channels)."""
    fig = go.Figure()
    days = [d.strftime("%Y-%m-%d") for d in df.index]
    for channel in df.columns:
        fig.add_scatter(
            x=days,
            y=df[channel].astype(int).tolist(),
            mode="lines+markers",
            name=CHANNEL_NAMES.get(channel, channel),
            line={"color": CHANNEL_COLORS.get(channel)},
        )
    fig.update_yaxes(rangemode="tozero", title_text="份")
    return _layout(fig, title, height=300)


def outlet_bars(
    df: pd.DataFrame, thresholds: Sequence[float], title: str = "各网点 S（95% 区间）与星级门槛"
) -> go.Figure:
    """One horizontal bar per outlet, lowest S on top (what to look at first), its interval as
    error bars, outlets with too few responses in a lighter colour, a dashed line per threshold.

    Columns: name, score, lo, hi (NaN = no S), sufficient (bool), n (total valid responses).
    """
    df = df.sort_values("score", ascending=True, na_position="first")
    up = (df["hi"] - df["score"]).clip(lower=0).fillna(0).round(2).tolist()
    down = (df["score"] - df["lo"]).clip(lower=0).fillna(0).round(2).tolist()
    fig = go.Figure()
    fig.add_bar(
        y=df["name"].tolist(),
        x=df["score"].round(2).tolist(),
        orientation="h",
        marker_color=["#5b636e" if ok else "#c8ccd2" for ok in df["sufficient"]],
        error_x={"type": "data", "symmetric": False, "array": up, "arrayminus": down},
        text=[
            f"{s:.2f}（n={n}）" if pd.notna(s) else f"—（n={n}）"
            for s, n in zip(df["score"], df["n"], strict=True)
        ],
        textposition="outside",
        cliponaxis=False,
        showlegend=False,
        hovertemplate="%{y} %{x:.2f}<extra></extra>",
    )
    for t in thresholds:
        fig.add_vline(x=float(t), line_dash="dash", line_color="#9a6700", line_width=1)
    fig.update_xaxes(range=[0, 115], title_text="S")
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(220, 60 + 34 * len(df)))
