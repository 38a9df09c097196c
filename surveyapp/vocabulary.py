"""The project's vocabulary: every id a user may meet, with its label from the catalogues.

One place for campaign statuses, roles, channels, dimensions, level ids, question kinds and
quality-flag kinds: database constraints, schemas, templates and docs read them here. Labels
are the Simplified Chinese source strings of the catalogues (marked with `N_` so `make i18n`
extracts them); `surveyapp.i18n.label()` translates one into the request's language. Standard
library only, so models and the scoring core may import it.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a catalogue string without translating it (extracted by `make i18n`)."""
    return text


#: campaign statuses, in the order a campaign moves through them
STATUSES: Mapping[str, str] = {
    "draft": N_("草稿"),
    "collecting": N_("收集中"),
    "closed": N_("已截止"),
    "finalized": N_("已定稿"),
}
#: status → the statuses a user may move it to. `finalized` is reached only by finalizing the
#: evaluation (one meaning of 定稿, December 2026): the record is frozen from then on.
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "draft": ("collecting",),
    "collecting": ("closed",),
    "closed": ("collecting",),
    "finalized": (),
}
#: the statuses a campaign may be created in
INITIAL_STATUSES: tuple[str, ...] = ("draft", "collecting")

ROLES: Mapping[str, str] = {
    "admin": N_("管理员"),
    "auditor": N_("审查员"),
    "viewer": N_("查看者"),
}
CHANNELS: Mapping[str, str] = {
    "in_person": N_("当面问卷"),
    "online": N_("电子问卷"),
}
#: the six perception dimensions of seed 001 §4.3 / GB/T 36733 "客观结果", in report order
DIMENSIONS: Mapping[str, str] = {
    "functionality": N_("功能性"),
    "economy": N_("经济性"),
    "safety": N_("安全性"),
    "timeliness": N_("时间性"),
    "comfort": N_("舒适性"),
    "civility": N_("文明性"),
}
#: level ids of CONTRACT.md; each scheme uses those it defines
LEVELS: Mapping[str, str] = {
    "none": N_("未达星级"),
    "fail": N_("不合格"),
    "compliant": N_("达标级"),
    "one_star": N_("一星级"),
    "two_star": N_("二星级"),
    "three_star": N_("三星级"),
    "four_star": N_("四星级"),
    "five_star": N_("五星级"),
    "eight_star": N_("八星级"),
    "nine_star": N_("九星级"),
    "ten_star": N_("十星级"),
}
QUESTION_KINDS: Mapping[str, str] = {
    "likert": N_("五级量表"),
    "nps": N_("推荐度（0–10）"),
    "text": N_("文字"),
}
#: quality flags on a response (for an auditor to review, never automatic exclusion)
FLAGS: Mapping[str, str] = {
    "speeding": N_("答题过快"),
    "straight_lining": N_("答案无变化"),
    "duplicate": N_("重复提交"),
    "burst": N_("短时集中提交"),
}

VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    "status": STATUSES,
    "role": ROLES,
    "channel": CHANNELS,
    "dimension": DIMENSIONS,
    "level": LEVELS,
    "question_kind": QUESTION_KINDS,
    "flag": FLAGS,
}


def ids(vocabulary: str) -> tuple[str, ...]:
    """The ids of one vocabulary, in order."""
    return tuple(VOCABULARIES[vocabulary])


def check_sql(column: str, vocabulary: str) -> str:
    """A CHECK constraint's SQL text: `column IN ('a', 'b', …)` over the vocabulary's ids."""
    return f"{column} IN ({', '.join(repr(i) for i in ids(vocabulary))})"
