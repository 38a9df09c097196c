"""DataFrame → plotly Figure for the dashboard and the report. No Flask, no database.

Every word a chart shows is a catalogue source string (`N_`), translated by the `t` the caller
passes (the request's gettext; the identity, Chinese, by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .vocabulary import DRIVER_QUADRANTS, N_

Translate = Callable[[str], str]


def same(text: str) -> str:
    """The identity translation: the Chinese source."""
    return text


CHANNEL_NAMES = {"in_person": N_("当面"), "online": N_("电子"), "all": N_("合并")}
CHANNEL_COLORS = {"in_person": "#c4161c", "online": "#0b57d0", "all": "#5b636e"}
#: answer value → label and colour, 不适用 last: a red–amber–green ramp, 不适用 a neutral grey
#: (一般 is amber, so it never reads as 不适用)
LIKERT = {
    1: (N_("非常不满意"), "#b42318"),
    2: (N_("不满意"), "#f97066"),
    3: (N_("一般"), "#fdb022"),
    4: (N_("满意"), "#32d583"),
    5: (N_("非常满意"), "#067647"),
    -1: (N_("不适用"), "#98a2b3"),
}
QUADRANT_COLORS = {
    "fix_first": "#c4161c",
    "keep_up": "#067647",
    "low_priority": "#9a6700",
    "possible_overkill": "#5b636e",
}
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"
#: d3 date formats: how Chinese and English readers write a day
DAY_FORMATS = {"zh": ("%-m月%-d日", "%Y年%-m月%-d日"), "en": ("%b %-d", "%b %-d, %Y")}


def _measure_series(t: Translate) -> list[tuple[str, str, str]]:
    """(key, name, colour) of S, S当面 and S电子, as every chart of them draws them."""
    return [
        ("S", "S", CHANNEL_COLORS["all"]),
        ("S_in_person", t(N_("S当面")), CHANNEL_COLORS["in_person"]),
        ("S_online", t(N_("S电子")), CHANNEL_COLORS["online"]),
    ]


def _day_axis(fig: go.Figure, lang: str) -> None:
    tick, hover = DAY_FORMATS.get(lang[:2], DAY_FORMATS["zh"])
    fig.update_xaxes(type="date", tickformat=tick, hoverformat=hover)


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


def _errors(df: pd.DataFrame, value: str = "score") -> dict:
    """error_y (or error_x) from the lo/hi columns around `value` (plotly wants distances, not
    bounds)."""
    up = (df["hi"] - df[value]).clip(lower=0)
    down = (df[value] - df["lo"]).clip(lower=0)
    return {
        "type": "data",
        "symmetric": False,
        "array": up.fillna(0).round(2).tolist(),
        "arrayminus": down.fillna(0).round(2).tolist(),
        "thickness": 1.2,
        "width": 4,
    }


def dimension_bars(
    df: pd.DataFrame, title: str = N_("六个维度得分（95% 区间）"), t: Translate = same
) -> go.Figure:
    """Grouped bars: one group per dimension, one bar per channel, error bars = interval.

    Columns: name (dimension label, already in the reader's language), channel, score, lo, hi
    (NaN = no data).
    """
    fig = go.Figure()
    for channel, part in df.groupby("channel", sort=False):
        name = t(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel
        fig.add_bar(
            x=part["name"].tolist(),
            y=part["score"].round(2).tolist(),
            name=name,
            marker_color=CHANNEL_COLORS.get(channel),
            error_y=_errors(part),
            hovertemplate="%{x} %{y:.2f}<extra>" + name + "</extra>",
        )
    fig.update_yaxes(range=[0, 105], title_text=t(N_("分")))
    fig.update_layout(barmode="group")
    return _layout(fig, t(title))


def answer_distribution(
    df: pd.DataFrame,
    labels: Mapping[str, str],
    title: str = N_("各题答案分布"),
    t: Translate = same,
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
    for value, (source, color) in LIKERT.items():
        if value not in table.columns:
            continue
        label = t(source)
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
    return _layout(fig, t(title), height=max(260, 26 * len(order) + 110))


def choice_bars(
    df: pd.DataFrame,
    labels: Mapping[tuple[str, int], str],
    title: str = N_("选择题：各选项的选择比例"),
    t: Translate = same,
) -> go.Figure:
    """Horizontal bars: the share of the responses answering a choice question that picked
    each option (a multiple choice's shares may add up to more than 100 %).

    Columns: question_id, value, count, answered; `labels`: (question_id, value) → the words.
    """
    rows = [r for r in df.itertuples(index=False) if (r.question_id, r.value) in labels]
    names = [labels[(r.question_id, r.value)] for r in rows]
    share = [round(100 * r.count / r.answered, 1) if r.answered else 0.0 for r in rows]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=share,
        orientation="h",
        marker_color=CHANNEL_COLORS["all"],
        customdata=[[int(r.count), int(r.answered)] for r in rows],
        hovertemplate="%{y}: %{x:.1f}% (%{customdata[0]}/%{customdata[1]})<extra></extra>",
        showlegend=False,
    )
    fig.update_xaxes(range=[0, 100], title_text="%")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, t(title), height=max(220, 24 * len(rows) + 110))


def responses_over_time(
    df: pd.DataFrame, title: str = N_("每日收到的答卷"), t: Translate = same, lang: str = "zh"
) -> go.Figure:
    """Lines of responses per local day, one per channel (index: date; columns: channels)."""
    fig = go.Figure()
    days = [d.strftime("%Y-%m-%d") for d in df.index]
    for channel in df.columns:
        fig.add_scatter(
            x=days,
            y=df[channel].astype(int).tolist(),
            mode="lines+markers",
            name=t(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel,
            line={"color": CHANNEL_COLORS.get(channel)},
        )
    fig.update_yaxes(rangemode="tozero", title_text=t(N_("份")))
    _day_axis(fig, lang)
    return _layout(fig, t(title), height=300)


def outlet_bars(
    df: pd.DataFrame,
    thresholds: Sequence[float],
    title: str = N_("各网点 S（95% 区间）与星级门槛"),
    t: Translate = same,
) -> go.Figure:
    """One horizontal bar per outlet, lowest S on top (what to look at first), its interval as
    error bars, outlets with too few responses in a lighter colour, a dashed line per threshold.

    Columns: name, score, lo, hi (NaN = no S), sufficient (bool), n (total valid responses).
    """
    df = df.sort_values("score", ascending=True, na_position="first")
    fig = go.Figure()
    fig.add_bar(
        y=df["name"].tolist(),
        x=df["score"].round(2).tolist(),
        orientation="h",
        marker_color=["#5b636e" if ok else "#c8ccd2" for ok in df["sufficient"]],
        error_x=_errors(df),
        text=[
            f"{s:.2f}（n={n}）" if pd.notna(s) else f"—（n={n}）"
            for s, n in zip(df["score"], df["n"], strict=True)
        ],
        # inside the bar from its start: the interval's whisker at the bar's end stays readable
        textposition="inside",
        insidetextanchor="start",
        textfont={"color": ["#ffffff" if ok else "#101828" for ok in df["sufficient"]]},
        showlegend=False,
        hovertemplate="%{y} %{x:.2f}<extra></extra>",
    )
    for level in thresholds:
        fig.add_vline(x=float(level), line_dash="dash", line_color="#9a6700", line_width=1)
    fig.update_xaxes(range=[0, 115], title_text="S")
    fig.update_yaxes(automargin=True, autorange="reversed")  # the first row (lowest S) on top
    return _layout(fig, t(title), height=max(220, 60 + 34 * len(df)))


def trend_lines(
    df: pd.DataFrame,
    title: str = N_("S 随时间变化（95% 区间）"),
    t: Translate = same,
    lang: str = "zh",
) -> go.Figure:
    """S per period as a line with its 95 % interval as a band, S当面 and S电子 as thin lines.

    Columns: label (the period's first day, YYYY-MM-DD), S, lo, hi, S_in_person, S_online
    (NaN = no S that period).
    """
    fig = go.Figure()
    x = df["label"].tolist()
    band = df["lo"].notna() & df["hi"].notna()
    if band.any():
        fig.add_scatter(
            x=df.loc[band, "label"].tolist(),
            y=df.loc[band, "hi"].round(2).tolist(),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
        fig.add_scatter(
            x=df.loc[band, "label"].tolist(),
            y=df.loc[band, "lo"].round(2).tolist(),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(91,99,110,0.18)",
            name=t(N_("95% 区间")),
            hoverinfo="skip",
        )
    for key, name, color in (*_measure_series(t)[1:], _measure_series(t)[0]):  # S on top
        width = 2.6 if key == "S" else 1.2
        fig.add_scatter(
            x=x,
            y=df[key].round(2).tolist(),
            mode="lines+markers",
            name=name,
            line={"color": color, "width": width},
            connectgaps=False,
        )
    fig.update_yaxes(title_text=t(N_("分")), rangemode="normal")
    _day_axis(fig, lang)
    return _layout(fig, t(title), height=320)


def driver_quadrants(
    df: pd.DataFrame,
    split: tuple[float | None, float | None],
    title: str = N_("影响因素：重要性与表现"),
    t: Translate = same,
) -> go.Figure:
    """Importance–performance: one point per item (x importance r, y its score), dashed lines at
    the means, each quadrant's plain reading in its corner; points coloured by quadrant.

    Columns: name, importance, performance, quadrant (rows missing either value are left out).
    """
    df = df.dropna(subset=["importance", "performance"])
    fig = go.Figure()
    for quadrant, color in QUADRANT_COLORS.items():
        part = df[df["quadrant"] == quadrant]
        if part.empty:
            continue
        fig.add_scatter(
            x=part["importance"].round(3).tolist(),
            y=part["performance"].round(2).tolist(),
            mode="markers+text",
            text=part["name"].tolist(),
            textposition="top center",
            marker={"color": color, "size": 11},
            name=t(DRIVER_QUADRANTS[quadrant]),
            hovertemplate="%{text}: r = %{x:.3f}, %{y:.2f}<extra></extra>",
            cliponaxis=False,
        )
    imp, perf = split
    if imp is not None and perf is not None and not df.empty:
        fig.add_vline(x=float(imp), line_dash="dash", line_color="#98a2b3", line_width=1)
        fig.add_hline(y=float(perf), line_dash="dash", line_color="#98a2b3", line_width=1)
        corners = {
            "fix_first": (1, 0, "right", "bottom"),
            "keep_up": (1, 1, "right", "top"),
            "low_priority": (0, 0, "left", "bottom"),
            "possible_overkill": (0, 1, "left", "top"),
        }
        for quadrant, (x, y, xa, ya) in corners.items():
            fig.add_annotation(
                xref="paper",
                yref="paper",
                x=x,
                y=y,
                xanchor=xa,
                yanchor=ya,
                showarrow=False,
                text=t(DRIVER_QUADRANTS[quadrant]),
                font={"color": QUADRANT_COLORS[quadrant]},
            )
    fig.update_xaxes(title_text=t(N_("重要性（相关系数 r）")), zeroline=False)
    fig.update_yaxes(title_text=t(N_("表现（得分）")))
    fig = _layout(fig, t(title), height=380)
    fig.update_layout(showlegend=False)  # the corners name the quadrants in their colours
    return fig


def history_bars(
    df: pd.DataFrame, title: str = N_("历次评价的 S（95% 区间）"), t: Translate = same
) -> go.Figure:
    """One group per campaign (oldest first): S with its interval, S当面, S电子.

    Columns: label (date and title), S, lo, hi, S_in_person, S_online (NaN = no figure).
    """
    df = df.astype({c: float for c in ("S", "lo", "hi", "S_in_person", "S_online")})
    fig = go.Figure()
    labels = df["label"].tolist()
    for key, name, color in _measure_series(t):
        extra = {}
        if key == "S":
            extra["error_y"] = _errors(df, "S")
        fig.add_bar(x=labels, y=df[key].round(2).tolist(), name=name, marker_color=color, **extra)
    fig.update_yaxes(range=[0, 105], title_text=t(N_("分")))
    fig.update_xaxes(automargin=True)
    fig.update_layout(barmode="group")
    return _layout(fig, t(title), height=340)


def measures_svg(
    df: pd.DataFrame,
    thresholds: Sequence[float],
    title: str = N_("S、S当面、S电子与星级门槛"),
    t: Translate = same,
) -> str:
    """The headline chart as inline SVG, drawn by the server: on a phone it shows with the page
    itself, before any script arrives (issue 14). Bars for S, S当面, S电子 with their 95 %
    interval as whiskers, the note (样本不足, 临界) above each bar, a dashed line per threshold.

    Columns: name, score, lo, hi (NaN = none), note. Returns SVG markup whose every text is
    escaped.
    """
    from markupsafe import escape

    # a phone's width in CSS px: its text reads at its size there, and scales up on a desk
    width, height, left, right, top, bottom = 380, 260, 34, 30, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(float(v), 110.0)) / 110.0)

    colors = [CHANNEL_COLORS["all"], CHANNEL_COLORS["in_person"], CHANNEL_COLORS["online"]]
    slot = plot_w / max(len(df), 1)
    bar = slot * 0.56
    parts = [
        f'<svg class="svg-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(t(title))}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(t(title))}</title>",
    ]
    for tick in (0, 20, 40, 60, 80, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#eaecf0"/><text x="{left - 5}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'class="tick">{tick}</text>'
        )
    for i, row in enumerate(df.itertuples(index=False)):
        cx = left + slot * (i + 0.5)
        name = f'<text x="{cx:.1f}" y="{height - bottom + 20}" text-anchor="middle" class="name">'
        parts.append(f"{name}{escape(row.name)}</text>")
        if pd.isna(row.score):
            parts.append(
                f'<text x="{cx:.1f}" y="{y(4):.1f}" text-anchor="middle" class="value">—</text>'
            )
            continue
        top_y = y(row.score)
        parts.append(
            f'<rect x="{cx - bar / 2:.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
            f'height="{y(0) - top_y:.1f}" fill="{colors[i % 3]}"/>'
        )
        label_y = top_y
        if pd.notna(row.lo) and pd.notna(row.hi):
            lo, hi = y(row.lo), y(row.hi)
            parts.append(
                f'<path d="M{cx:.1f} {lo:.1f}V{hi:.1f}M{cx - 8:.1f} {lo:.1f}h16M{cx - 8:.1f} '
                f'{hi:.1f}h16" stroke="#101828" stroke-width="1.4" fill="none"/>'
            )
            label_y = min(label_y, hi)
        text = f"{row.score:.2f} {row.note}".strip()
        parts.append(
            f'<text x="{cx:.1f}" y="{label_y - 6:.1f}" text-anchor="middle" class="value">'
            f"{escape(text)}</text>"
        )
    for level in thresholds:
        ly = y(level)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ly:.1f}" y2="{ly:.1f}" '
            f'stroke="#9a6700" stroke-dasharray="5 4"/><text x="{width - right + 4}" '
            f'y="{ly + 4:.1f}" class="threshold">{float(level):g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
