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
#: the shipped schemes' titles as their files give them (schemes/*.toml `title`; a test holds
#: the two together): here so that the catalogues carry each title in English too, without
#: editing a scheme file, whose sha256 finalized results refer to
SCHEMES: Mapping[str, str] = {
    "cqm-2019": N_("CQM 商品售后服务认证评价规范"),
    "dni-2026": N_("DNI 软硬件服务售后服务技术规范"),
    "icas-27922": N_("ICAS 商品售后服务认证检查表"),
    "xh-2025": N_("XH 售后服务完善度评价认证（十星）"),
}
QUESTION_KINDS: Mapping[str, str] = {
    "likert": N_("五级量表"),
    "nps": N_("推荐度（0–10）"),
    "single": N_("单选题"),
    "multiple": N_("多选题"),
    "text": N_("文字"),
}
#: quality flags on a response (for an auditor to review, never automatic exclusion)
FLAGS: Mapping[str, str] = {
    "speeding": N_("答题过快"),
    "straight_lining": N_("答案无变化"),
    "duplicate": N_("重复提交"),
    "burst": N_("短时集中提交"),
    "no_timing": N_("无答题计时"),
}

#: a call-back's status (回访)
FOLLOWUPS: Mapping[str, str] = {
    "todo": N_("待回访"),
    "done": N_("已回访"),
    "unreachable": N_("无法联系"),
}

#: a response's score on one dimension, in bands a manager reads comments by (0–100 points:
#: below 60 is under 一般, 80 is 满意)
SCORE_BANDS: Mapping[str, str] = {
    "low": N_("不满意（低于 60 分）"),
    "mid": N_("一般（60 至 80 分）"),
    "high": N_("满意（80 分及以上）"),
}

#: importance–performance quadrants (survey_math.drivers.QUADRANTS), with the plain reading
DRIVER_QUADRANTS: Mapping[str, str] = {
    "fix_first": N_("优先改进"),
    "keep_up": N_("继续保持"),
    "low_priority": N_("次要改进"),
    "possible_overkill": N_("适度投入"),
}
#: what each quadrant tells a manager to do (shown under the drivers chart)
DRIVER_READINGS: Mapping[str, str] = {
    "fix_first": N_("与总体满意度关系密切，得分偏低：先改进这里"),
    "keep_up": N_("与总体满意度关系密切，得分较高：保持现有做法"),
    "low_priority": N_("关系较弱，得分偏低：资源有余时再改进"),
    "possible_overkill": N_("关系较弱，得分较高：不必再加投入"),
}

#: what the audit log records, in words (the admin's audit page and its filter)
AUDIT_ACTIONS: Mapping[str, str] = {
    "login": N_("登录"),
    "login.failed": N_("登录失败"),
    "login.refused": N_("登录被拒绝（限流或锁定）"),
    "logout": N_("退出登录"),
    "user.create": N_("新建用户"),
    "user.role": N_("更改角色"),
    "user.deactivate": N_("停用用户"),
    "user.activate": N_("重新启用用户"),
    "user.lock": N_("锁定账户（多个地址登录失败）"),
    "user.unlock": N_("解锁账户"),
    "user.reset_password": N_("重置密码"),
    "user.password": N_("修改自己的密码"),
    "token.issue": N_("生成 API 令牌"),
    "token.revoke": N_("撤销 API 令牌"),
    "grant.campaign": N_("授权评价项目"),
    "grant.all": N_("授权全部评价项目"),
    "grant.revoke": N_("收回评价项目授权"),
    "grant.revoke_all": N_("收回全部评价项目授权"),
    "campaign.create": N_("新建评价项目"),
    "campaign.update": N_("修改评价项目"),
    "campaign.status": N_("更改评价项目状态"),
    "campaign.auditors": N_("更改审查员"),
    "outlet.create": N_("添加服务网点"),
    "outlet.update": N_("修改服务网点"),
    "outlet.deactivate": N_("停用服务网点"),
    "outlet.activate": N_("重新启用服务网点"),
    "link.rotate": N_("更换网点链接"),
    "link.revoke": N_("停用链接"),
    "links.issue": N_("生成一次性二维码"),
    "questionnaire.import": N_("导入问卷"),
    "campaign.questionnaire": N_("修改评价项目的问卷"),
    "response.in_person": N_("录入当面问卷"),
    "response.exclude": N_("剔除答卷"),
    "response.reinstate": N_("恢复答卷"),
    "evaluation.draft": N_("保存评价草稿"),
    "evaluation.finalize": N_("评价定稿"),
    "contact.reveal": N_("查看顾客联系方式"),
    "followup.update": N_("更新回访状态"),
    "privacy.purge": N_("删除到期的个人信息"),
    "privacy.withdraw": N_("顾客撤回同意、删除个人信息"),
    "audit.export": N_("导出审计日志"),
}

#: the events the levels' criteria count, as the seeds name them (scoring/model.py EVENT_TYPES)
EVENTS = {
    "liability_accident": N_("责任事故"),
    "major_complaint": N_("重大投诉"),
    "negative_publicity": N_("售后服务方面负面信息"),
}
#: the survey measures the levels' criteria compare (scoring/model.py SURVEY_MEASURES)
MEASURES = {
    "S": N_("顾客感知调查 S"),
    "S_in_person": N_("当面问卷调查 S当面"),
    "S_online": N_("电子问卷调查 S电子"),
}

VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    "status": STATUSES,
    "role": ROLES,
    "channel": CHANNELS,
    "dimension": DIMENSIONS,
    "level": LEVELS,
    "scheme": SCHEMES,
    "question_kind": QUESTION_KINDS,
    "flag": FLAGS,
    "audit_action": AUDIT_ACTIONS,
    "followup": FOLLOWUPS,
    "score_band": SCORE_BANDS,
    "driver_quadrant": DRIVER_QUADRANTS,
    "event": EVENTS,
    "measure": MEASURES,
}


def ids(vocabulary: str) -> tuple[str, ...]:
    """The ids of one vocabulary, in order."""
    return tuple(VOCABULARIES[vocabulary])


def check_sql(column: str, vocabulary: str) -> str:
    """A CHECK constraint's SQL text: `column IN ('a', 'b', …)` over the vocabulary's ids."""
    return f"{column} IN ({', '.join(repr(i) for i in ids(vocabulary))})"
