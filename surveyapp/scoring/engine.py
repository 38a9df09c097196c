"""The star-level engine: exclusions, auditor means, special deductions and bonus, 就低不就高."""

from __future__ import annotations

from decimal import Decimal

from .criteria import REGISTRY, Context
from .model import EvaluationInput, Item, Scheme
from .numbers import HUNDRED, ZERO, div, fmt2, mean, mul, round2
from .results import Computation, CriterionResult, ItemResult, NodeScore, Result


def survey_item_value(
    item: Item, ev: EvaluationInput, scheme: Scheme
) -> tuple[Decimal, str | None]:
    """Points of a survey-fed item: S (or the weighted mean of the dimensions) × points / 100."""
    survey = ev.survey
    assert survey is not None and survey.S is not None
    pct, warning = survey.S, None
    if item.survey_source == "dimensions":
        weights = {d: Decimal(str(w)) for d, w in scheme.survey.dimension_weights.items()}
        present = {d: v for d, v in survey.dimensions.items() if weights.get(d, ZERO) > 0}
        if present:
            total_w = sum((weights[d] for d in present), ZERO)
            pct = div(sum((mul(weights[d], v) for d, v in present.items()), ZERO), total_w)
        else:
            warning = (
                f"{item.id} {item.title}：未提供六个维度的得分，以综合得分 S"
                f"（{fmt2(survey.S)} 分）代替"
            )
    return mul(div(pct, HUNDRED), item.points), warning


def compute(scheme: Scheme, ev: EvaluationInput) -> Computation:
    """Score an input: item means, exclusion rescaling, then deductions and bonus (seed 000 D1/D2)."""
    warnings: list[str] = list(ev.warnings)
    items: list[ItemResult] = []
    for item in scheme.items:
        given = ev.scores.get(item.id)
        if given is not None and given.excluded:
            items.append(ItemResult(item.id, item.points, None, excluded=True))
        elif given is not None:
            items.append(ItemResult(item.id, item.points, mean(given.values)))
        elif item.mode == "survey":
            value, warning = survey_item_value(item, ev, scheme)
            if warning:
                warnings.append(warning)
            items.append(ItemResult(item.id, item.points, value, source="survey"))
        else:  # a 0-point item nobody scored
            items.append(ItemResult(item.id, item.points, ZERO))

    by_id = {r.id: r for r in items}

    def node(node_id: str, title: str, points: Decimal, members: list[str]) -> NodeScore:
        rs = [by_id[m] for m in members]
        applicable = sum((r.points for r in rs if not r.excluded), ZERO)
        score = sum((r.score for r in rs if r.score is not None), ZERO)
        ratio = div(score, applicable) if applicable > 0 else None
        return NodeScore(node_id, title, score, applicable, points, ratio)

    members: dict[str, list[str]] = {}
    for item in scheme.items:
        members.setdefault(scheme.top_of(item), []).append(item.id)
    groups = []
    for top in scheme.first_level:
        groups.append(node(top.id, top.title, top.points, members.get(top.id, [])))
    parts = []
    for part in scheme.parts:
        ids = [m for g in part.groups for m in members.get(g, [])]
        parts.append(node(part.id, part.title, part.points, ids))

    actual = sum((r.score for r in items if r.score is not None), ZERO)
    applicable = sum((r.points for r in items if not r.excluded), ZERO)
    excluded = any(r.excluded for r in items)
    # seed 000 §6.1.5 / seed 002 note 3 / seed 004 A.2.1: 实际得分 / 涉及项总分值 × 100
    rescaled = mul(div(actual, applicable), scheme.max_points) if excluded else actual
    deductions = len(ev.special_deductions)
    deduction_points = scheme.special_deductions.points_each * deductions
    bonus_points = scheme.special_bonus.points_each * ev.special_bonus
    final = rescaled - deduction_points + bonus_points
    if bonus_points:
        # AMBIGUITY (docs/schemes.md): the bonus never lifts a score above the scheme's maximum
        final = min(final, scheme.max_points)
    return Computation(
        items=tuple(items),
        groups=tuple(groups),
        parts=tuple(parts),
        actual=actual,
        applicable=applicable,
        max_points=scheme.max_points,
        rescaled=rescaled,
        deductions=deductions,
        deduction_points=deduction_points,
        bonus=ev.special_bonus,
        bonus_points=bonus_points,
        final=final,
        score=round2(final, scheme.rounding),
        warnings=tuple(warnings),
    )


def check_levels(
    scheme: Scheme, ev: EvaluationInput, comp: Computation
) -> tuple[CriterionResult, ...]:
    """Check every criterion of every level (all of them, for the explanation)."""
    ctx = Context(scheme=scheme, input=ev, computation=comp)
    out = []
    for level in scheme.levels:
        for criterion in level.criteria:
            params = criterion.params
            if criterion.name_zh:
                params = {**params, "_name_zh": criterion.name_zh}
            check = REGISTRY[criterion.kind].check(params, ctx)
            out.append(CriterionResult(level.id, criterion.kind, check, criterion.clause))
    return tuple(out)


def evaluate(scheme: Scheme, ev: EvaluationInput) -> Result:
    """The highest level whose every criterion holds; otherwise the next lower (就低不就高)."""
    comp = compute(scheme, ev)
    checked = check_levels(scheme, ev, comp)
    level = scheme.fallback_level
    for lv in scheme.levels:
        if all(c.check.met for c in checked if c.level == lv.id):
            level = lv.id
            break
    upper = scheme.level_above(level)
    limited = tuple(c for c in checked if c.level == upper and not c.check.met)
    return Result(
        scheme=scheme,
        input=ev,
        computation=comp,
        level=level,
        criteria=checked,
        limited_by=limited,
    )
