"""Display logic: a question shown only when an earlier answer meets a condition.

Written as `<question id> <op> <number>`: `q3 <= 2` (shown when question q3 was answered 1 or
2), `nps < 7`, `channel = 2`, and for a multiple choice `q9 has 4` (option 4 was picked). The
ops: `<`, `<=`, `>`, `>=`, `=`, `!=`, `has`. An earlier question answered 不适用 or left empty
hides it. A hidden question is not required and its answer is not kept (as XLSForm's
`relevant`); without JavaScript every question is shown and the rule decides on submission.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_FORM = re.compile(r"^\s*([a-z][a-z0-9_]{0,31})\s*(<=|>=|!=|=|<|>|has)\s*(\d{1,2})\s*$")
_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


class ConditionError(ValueError):
    """A condition that cannot be used: zh and en text."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Condition:
    question: str
    op: str
    number: int

    def holds(self, value: Any) -> bool:
        """True when an answer (as its kind compares it; None = unanswered) meets it."""
        if value is None:
            return False
        if self.op == "has":
            return self.number in value
        return _OPS[self.op](value, self.number)

    def shown(self, values):
        """`holds` over a numpy array of answers (-1 = unanswered), as a boolean array."""
        if self.op == "has":
            hit = ((values >> (self.number - 1)) & 1) == 1
        else:
            hit = _OPS[self.op](values, self.number)
        return (values >= 0) & hit

    def __str__(self) -> str:
        return f"{self.question} {self.op} {self.number}"


def parse_condition(text: str, earlier: Sequence, kinds: Mapping) -> Condition:
    """A condition on one of the `earlier` questions, checked against that question's kind."""
    m = _FORM.match(text or "")
    if not m:
        raise ConditionError(
            f"显示条件 “{text}” 应写成 “题号 运算符 数字”，如 q3 <= 2 或 q9 has 4",
            f"the condition {text!r} should read like 'q3 <= 2' or 'q9 has 4'",
        )
    qid, op, number = m.group(1), m.group(2), int(m.group(3))
    target = next((q for q in earlier if q.id == qid), None)
    if target is None:
        raise ConditionError(
            f"显示条件引用的 {qid} 不是前面的题目",
            f"the condition refers to {qid}, which is not an earlier question",
        )
    kind = kinds[target.kind]
    if not kind.condition:
        raise ConditionError(
            f"显示条件不能引用文字题 {qid}", f"a condition cannot test the text question {qid}"
        )
    if (op == "has") != (kind.condition == "has"):
        raise ConditionError(
            "多选题用 has（如 q9 has 4），其他题型用 <、<=、>、>=、=、!=",
            "use 'has' with a multiple choice question and <, <=, >, >=, =, != with the others",
        )
    if kind.takes_choices and number not in {c.value for c in target.choices}:
        raise ConditionError(
            f"{qid} 没有 value 为 {number} 的选项", f"{qid} has no option with value {number}"
        )
    rng = kind.value_range(target)
    if rng and not rng[0] <= number <= rng[1]:
        raise ConditionError(
            f"{qid} 的回答在 {rng[0]}–{rng[1]} 之间，条件中的 {number} 超出范围",
            f"{qid} is answered {rng[0]}–{rng[1]}; {number} is outside it",
        )
    return Condition(qid, op, number)
