"""The result JSON of CONTRACT.md "Evaluation result", with a plain-Chinese explanation."""

from __future__ import annotations

from decimal import Decimal

from .numbers import as_json_number, fmt, round2
from .results import CriterionResult, NodeScore, Result

#: bumped when the engine decides differently for the same input (2: issue 13 decisions)
ENGINE_VERSION = "2"


def _num(value: Decimal, mode: str = "half_up") -> float:
    return float(round2(value, mode))


def _node(node: NodeScore, mode: str) -> dict:
    return {
        "title": node.title,
        "score": _num(node.score, mode),
        "max": as_json_number(node.max),
        "ratio": None if node.ratio is None else float(round2(node.ratio * 100, mode) / 100),
    }


def limited_by_line(c: CriterionResult) -> str:
    """One line of `limited_by`, e.g. "S_in_person 75.00 < 80 (four_star)"."""
    return f"{c.check.summary} ({c.level})"


def explanation_zh(result: Result) -> list[str]:
    """Plain-Chinese sentences: how the score was reached and what decided the level."""
    scheme, comp = result.scheme, result.computation
    mode = scheme.rounding
    out = [f"依据《{scheme.title}》评定。"]
    excluded = comp.excluded_items
    if excluded:
        ids = "、".join(i.id for i in excluded)
        out.append(
            f"删减不适用条款 {ids}（共 {fmt(sum((i.points for i in excluded), Decimal(0)))} 分）；"
            f"实际得分 {fmt(round2(comp.actual, mode))} 分，涉及项总分值 {fmt(comp.applicable)} 分，"
            f"换算得分 = {fmt(round2(comp.actual, mode))} / {fmt(comp.applicable)} × "
            f"{fmt(comp.max_points)} = {fmt(round2(comp.rescaled, mode))} 分。"
        )
    else:
        out.append(
            f"各项实际得分合计 {fmt(round2(comp.actual, mode))} 分（满分 {fmt(comp.max_points)} 分），无删减。"
        )
    fed = [i for i in comp.items if i.source == "survey"]
    for i in fed:
        item = scheme.item_map[i.id]
        out.append(
            f"{i.id} {item.title} 由顾客感知调查结果换算：{fmt(round2(i.score or Decimal(0), mode))} 分"
            f"（满分 {fmt(i.points)} 分）。"
        )
    if comp.deductions:
        out.append(
            f"特别扣分项 {comp.deductions} 个，在删减换算之后于评分值之外扣除 "
            f"{fmt(comp.deduction_points)} 分。"
        )
    if comp.bonus:
        out.append(f"特别加分项 {comp.bonus} 个，在删减换算之后加 {fmt(comp.bonus_points)} 分。")
    rule = "四舍五入" if mode == "half_up" else "截位（不进位）"
    out.append(f"最终得分 {format(comp.score, 'f')} 分（保留两位小数，{rule}后与各级标准比较）。")
    out.append(f"评定等级：{result.level_name}。各等级标准须同时满足，否则就低不就高。")
    upper = result.upper_level
    if upper is None:
        out.append("已达到本方案的最高等级。")
    else:
        reasons = "；".join(c.check.text_zh for c in result.limited_by)
        out.append(f"未能评为{scheme.level_name(upper)}，原因：{reasons}。")
    for warning in result.warnings:
        out.append(f"提示：{warning}")
    return out


def result_to_dict(result: Result) -> dict:
    """Serialize a result to the contract's JSON (plain types only)."""
    scheme, comp = result.scheme, result.computation
    mode = scheme.rounding
    return {
        "scheme": scheme.id,
        "level": result.level,
        "level_name": result.level_name,
        "score": _num(comp.final, mode),
        "max_score": as_json_number(scheme.max_points),
        "groups": {g.id: _node(g, mode) for g in comp.groups},
        **({"parts": {p.id: _node(p, mode) for p in comp.parts}} if comp.parts else {}),
        "special_deductions": comp.deductions,
        "special_bonus": comp.bonus,
        "limited_by": [limited_by_line(c) for c in result.limited_by],
        #: the same, in words: the level not reached and each unmet condition
        "limited_by_zh": [c.check.text_zh for c in result.limited_by],
        "upper_level": result.upper_level,
        "criteria": [
            {
                "level": c.level,
                "criterion": c.check.criterion,
                "kind": c.kind,
                "required": c.check.required,
                "actual": c.check.actual,
                "met": c.check.met,
                "clause": c.clause,
                "text_zh": c.check.text_zh,
                "summary": c.check.summary,
            }
            for c in result.criteria
        ],
        "computation": {
            "actual": _num(comp.actual, mode),
            "applicable_points": as_json_number(comp.applicable),
            "rescaled": _num(comp.rescaled, mode),
            "excluded": [i.id for i in comp.excluded_items],
            "deduction_points": as_json_number(comp.deduction_points),
            "bonus_points": as_json_number(comp.bonus_points),
            "items": {i.id: (None if i.score is None else _num(i.score, mode)) for i in comp.items},
        },
        "explanation_zh": explanation_zh(result),
        "warnings": list(result.warnings),
        "parameters": {
            "scheme": scheme.id,
            "scheme_sha256": scheme.sha256,
            "scheme_version": scheme.version,
            "rounding": mode,
            "engine_version": ENGINE_VERSION,
            "survey": scheme.survey.as_dict(),
        },
    }
