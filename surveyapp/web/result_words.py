"""An evaluation result in words an auditor or the certified company reads: each condition
as a sentence, the reason a level was not reached, and source notes that name documents
instead of the project's seed numbers. The API keeps the machine ids next to these words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ..i18n import label, scheme_text, scheme_title, select_locale

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


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _numbers(text: object) -> list[str]:
    return _NUMBER.findall(str(text or ""))


def _event_condition(kind: str, event: str, required: str, actual: str) -> str | None:
    """An event criterion (责任事故, 重大投诉, 负面信息 within some months) in words."""
    since = _DATE.search(required)
    months = re.search(r"\((\d+) months\)", required)
    count = _numbers(actual)
    if since is None or months is None or not count:
        return None
    words = {
        "event": label("event", event),
        "months": months.group(1),
        "since": since.group(0),
        "n": count[0],
    }
    if kind == "no_event_within_months":
        return _("现场评价前 %(months)s 个月内（%(since)s 起）%(event)s %(n)s 起，要求无", **words)
    limit = re.search(r"≤ (\d+)", required)
    if limit is None or len(count) < 2:
        return None
    words.update(max=limit.group(1), rectified=count[1])
    if "rectified since" in required:
        return _(
            "现场评价前 %(months)s 个月内%(event)s %(n)s 起（已有效整改 %(rectified)s 起），"
            "要求 ≤ %(max)s 起且均已有效整改",
            **words,
        )
    return _(
        "现场评价前 %(months)s 个月内%(event)s %(n)s 起（已有效整改 %(rectified)s 起），"
        "要求 ≤ %(max)s 起",
        **words,
    )


def condition(c: Mapping[str, Any]) -> str | None:
    """One condition in a sentence of the catalogues, from the result's machine fields (kind,
    criterion, required, actual), as the engine's Chinese says it; None for a kind not known
    here."""
    kind, criterion = str(c.get("kind") or ""), str(c.get("criterion") or "")
    required, actual = str(c.get("required") or ""), str(c.get("actual") or "")
    if kind == "score_at_least":
        return _("得分为 %(actual)s 分，要求 %(required)s 分", actual=actual, required=required)
    if kind == "every_group_ratio_at_least" and _numbers(required):
        minimum = _numbers(required)[0]
        if c.get("met"):
            return _("各一级指标得分不低于该指标总分的 %(min)s%%（全部达到）", min=minimum)
        return _(
            "各一级指标得分不低于该指标总分的 %(min)s%%（%(failing)s）",
            min=minimum,
            failing=actual,
        )
    if kind == "management_audit_passed":
        return _("管理审核通过符合性审核") if c.get("met") else _("管理审核未通过符合性审核")
    if kind == "no_severe_nonconformity":
        return _("管理审核严重不符合 %(n)s 项，要求无严重不符合", n=actual)
    if kind == "survey_at_least":
        measure = label("measure", criterion.removeprefix("survey."))
        if actual == "missing":
            return _("%(measure)s 缺失", measure=measure)
        return _(
            "%(measure)s 为 %(actual)s 分，要求 %(required)s 分",
            measure=measure,
            actual=actual,
            required=required,
        )
    if kind == "special_deductions_below" and _numbers(required):
        return _(
            "特别扣分项 %(n)s 个，要求少于 %(limit)s 个", n=actual, limit=_numbers(required)[0]
        )
    if kind == "operating_at_least_months":
        since, have, months = _DATE.search(actual), _numbers(actual), _numbers(required)
        if since and have and months:
            return _(
                "组织经营 %(have)s 个月（自 %(since)s 起），要求 ≥ %(months)s 个月",
                have=have[0],
                since=since.group(0),
                months=months[0],
            )
    if kind in ("no_event_within_months", "at_most_events_within_months"):
        return _event_condition(kind, criterion.removeprefix("events."), required, actual)
    return None


def _text(c: Mapping[str, Any]) -> str:
    """One condition in a sentence: the engine's Chinese, as the result stored it, on Chinese
    pages; on English ones the catalogues' sentence (the engine's line for a kind not known)."""
    if select_locale() == "en":
        words = condition(c) or c.get("summary")
        if words:
            return str(words)
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


def _points(value: object) -> str:
    """A point value as the engine writes it: no trailing zeros (100, 7.5)."""
    return format(Decimal(str(value)).normalize(), "f") if value is not None else "—"


_UNSCORED_DEDUCTION = re.compile(r"^检查项 (\S+) 得 0 分，但没有登记特别扣分项")
_NO_DIMENSIONS = re.compile(r"^(\S+) .+?：未提供六个维度的得分，以综合得分 S（([\d.]+) 分）代替$")


def _engine_warning(text: str, scheme) -> str:
    """A warning of the engine (written in Chinese into the result) in the catalogues' words;
    one not known here keeps its text."""
    m = _UNSCORED_DEDUCTION.match(text)
    if m:
        return _(
            "检查项 %(id)s 得 0 分，但没有登记特别扣分项；如属检查表中带 * 的扣分情形，"
            "请补登一项特别扣分",
            id=m.group(1),
        )
    m = _NO_DIMENSIONS.match(text)
    item = scheme.item_map.get(m.group(1)) if m and scheme is not None else None
    if m and item is not None:
        return _(
            "%(id)s %(title)s：未提供六个维度的得分，以综合得分 S（%(s)s 分）代替",
            id=item.id,
            title=scheme_text(item.title),
            s=m.group(2),
        )
    return text


def _from_survey(result: Mapping[str, Any], item_id: str) -> bool:
    """Whether the result's item was converted from the survey (not scored by an auditor, not
    excluded): the result says so only in its explanation, where the engine writes a line for
    each such item (serialize.explanation_zh)."""
    head = f"{item_id} "
    return any(
        line.startswith(head) and "由顾客感知调查结果换算" in line
        for line in result.get("explanation_zh") or []
    )


def explanation(result: Mapping[str, Any], scheme) -> list[str]:
    """How the score was reached and what decided the level. On Chinese pages the engine's
    lines as the result stored them (a finalized result keeps its words); on English pages the
    same sentences from the catalogues, made from the result's figures."""
    if select_locale() != "en":
        return list(result.get("explanation_zh") or [])
    comp = result.get("computation") or {}
    params = result.get("parameters") or {}
    items = getattr(scheme, "item_map", {})
    out = [_("依据《%(scheme)s》评定。", scheme=scheme_title(str(result.get("scheme"))))]
    excluded = comp.get("excluded") or []
    figures = {
        "actual": _points(comp.get("actual")),
        "applicable": _points(comp.get("applicable_points")),
        "max": _points(result.get("max_score")),
        "rescaled": _points(comp.get("rescaled")),
    }
    if excluded:
        cut = sum((items[i].points for i in excluded if i in items), Decimal(0))
        out.append(
            _(
                "删减不适用条款 %(ids)s（共 %(points)s 分）；实际得分 %(actual)s 分，涉及项总分值 "
                "%(applicable)s 分，换算得分 = %(actual)s / %(applicable)s × %(max)s = "
                "%(rescaled)s 分。",
                ids=_("、").join(excluded),
                points=_points(cut),
                **figures,
            )
        )
    else:
        out.append(_("各项实际得分合计 %(actual)s 分（满分 %(max)s 分），无删减。", **figures))
    scored = comp.get("items") or {}
    for item in getattr(scheme, "items", ()):
        if item.mode == "survey" and _from_survey(result, item.id):
            out.append(
                _(
                    "%(id)s %(title)s 由顾客感知调查结果换算：%(score)s 分（满分 %(points)s 分）。",
                    id=item.id,
                    title=scheme_text(item.title),
                    score=_points(scored[item.id] or 0),
                    points=_points(item.points),
                )
            )
    if result.get("special_deductions"):
        out.append(
            _(
                "特别扣分项 %(n)s 个，在删减换算之后于评分值之外扣除 %(points)s 分。",
                n=result["special_deductions"],
                points=_points(comp.get("deduction_points")),
            )
        )
    if result.get("special_bonus"):
        out.append(
            _(
                "特别加分项 %(n)s 个，在删减换算之后加 %(points)s 分。",
                n=result["special_bonus"],
                points=_points(comp.get("bonus_points")),
            )
        )
    rule = _("四舍五入") if params.get("rounding", "half_up") == "half_up" else _("截位（不进位）")
    out.append(
        _(
            "最终得分 %(score)s 分（保留两位小数，%(rule)s后与各级标准比较）。",
            score=f"{result.get('score') or 0:.2f}",
            rule=rule,
        )
    )
    out.append(
        _(
            "评定等级：%(level)s。各等级标准须同时满足，否则就低不就高。",
            level=label("level", result.get("level")),
        )
    )
    upper, reasons = not_reached(result, scheme)
    if upper is None:
        out.append(_("已达到本方案的最高等级。"))
    else:
        out.append(
            _("未能评为%(level)s，原因：%(reasons)s。", level=upper, reasons=_("；").join(reasons))
        )
    out.extend(
        _("提示：%(warning)s", warning=_engine_warning(w, scheme))
        for w in result.get("warnings") or []
    )
    return out


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
