"""An evaluation result in words an auditor or the certified company reads: each condition
as a sentence, the reason a level was not reached, and source notes that name documents
instead of the project's seed numbers. The API keeps the machine ids next to these words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from ..i18n import label, select_locale

#: the source documents (../shared/seeds) by the titles printed on them
DOCUMENTS = {
    "000": "《软硬件服务售后服务技术规范》",
    "001": "《商品售后服务认证评价规范》",
    "002": "《商品售后服务认证检查表》",
    "003": "《售后服务规范 总则》",
    "004": "《售后服务完善度评价认证实施规则》",
}
_SEED = re.compile(r"seed (\d{3})")
#: editorial remarks of the scheme files that are for maintainers, not readers
_REMARKS = (
    re.compile(r"\s+—\s+printed.*$"),
    re.compile(r"DOMAIN\.md;?\s*"),
)
_PHRASES = (
    (re.compile(r"\(header missing; sum of 小类分值 = (\d+)\)"), r"（小类分值合计 \1）"),
    (re.compile(r"window of (\S+ \S+ \d+) \((.+?)\)"), r"时间范围同\1（\2）"),
    (re.compile(r"GB/T 27922 star bands \(as (.+?)\)"), r"GB/T 27922 星级划分（参照\1）"),
    (re.compile(r" defines none"), "未规定"),
    (re.compile(r"\(second\)"), "（第二款）"),
)


def source(text: str | None) -> str:
    """A clause or source note as readers see it: documents by title, no maintainers' notes."""
    out = text or ""
    for pattern in _REMARKS:
        out = pattern.sub("", out)
    for pattern, repl in _PHRASES:
        out = pattern.sub(repl, out)
    out = _SEED.sub(lambda m: DOCUMENTS.get(m.group(1), m.group(0)), out)
    return out.replace("; ", "；").strip(" ;；")


def _text(c: Mapping[str, Any]) -> str:
    """One condition in a sentence: Chinese in the Chinese UI, the engine's line in English."""
    if select_locale() == "en" and c.get("summary"):
        return str(c["summary"])
    if c.get("text_zh"):
        return str(c["text_zh"])
    # a result finalized before the engine wrote sentences
    return _(
        "%(what)s：要求 %(required)s，实际 %(actual)s",
        what=c.get("criterion"),
        required=c.get("required"),
        actual=c.get("actual"),
    )


def criteria_rows(result: Mapping[str, Any], scheme) -> list[dict[str, Any]]:
    """Every condition of every level, in words, with whether it is met and its source."""
    return [
        {
            "level": label("level", c.get("level")),
            "text": _text(c),
            "met": bool(c.get("met")),
            "source": source(c.get("clause")),
        }
        for c in result.get("criteria") or []
    ]


def not_reached(result: Mapping[str, Any], scheme) -> tuple[str | None, list[str]]:
    """The level just above the one reached, and each of its conditions not met, in words."""
    upper = result.get("upper_level")
    rows = [
        c
        for c in result.get("criteria") or []
        if upper and c.get("level") == upper and not c.get("met")
    ]
    return (label("level", upper) if upper else None), [_text(c) for c in rows]


def warning(w: str, s: Mapping[str, Any]) -> str:
    """A scores warning ("low_alpha:economy: …", survey_math/scores.py) in the reader's
    language, from its code and the figures beside it in `s`; an unknown code keeps its text."""
    code, _sep, text = w.partition(": ")
    kind, *args = code.split(":")
    params = s.get("parameters") or {}
    if kind == "small_sample" and args and args[0] in (s.get("n") or {}):
        return _(
            "%(channel)s有效答卷 %(n)s 份，少于 %(min)s 份（样本不足）",
            channel=label("channel", args[0]),
            n=s["n"][args[0]],
            min=params.get("min_valid_per_channel"),
        )
    if kind == "wide_interval" and args and (s.get("half_width") or {}).get(args[0]) is not None:
        return _(
            "%(key)s 的 95%% 区间半宽 %(half)s 分，超过 %(max)s 分（样本不足）",
            key=args[0],
            half=f"{s['half_width'][args[0]]:.2f}",
            max=f"{params.get('max_half_width', 0):g}",
        )
    if kind == "low_alpha" and args and args[0] in (s.get("alpha") or {}):
        return _(
            "%(dimension)s的 Cronbach's α = %(alpha)s，低于 %(min)s（问卷信度）",
            dimension=label("dimension", args[0]),
            alpha=f"{s['alpha'][args[0]]:.2f}",
            min=f"{params.get('alpha_acceptable', 0):.2f}",
        )
    if kind == "dimension_missing" and len(args) == 2:
        other = "online" if args[0] == "in_person" else "in_person"
        return _(
            "%(channel)s中%(dimension)s无作答，合并分取%(other)s",
            channel=label("channel", args[0]),
            dimension=label("dimension", args[1]),
            other=label("channel", other),
        )
    return text or w
