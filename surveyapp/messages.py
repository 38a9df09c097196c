"""What a refused request says to its user: one sentence per domain error code, in Chinese
first (English in the catalogues), naming the field by the label users know.

Pages, the API and the CLI all word a `DomainError` through `message()`; HTTP statuses are the
web layer's business (`surveyapp.web.errors`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .errors import DomainError, Problem
from .i18n import label, local_zone

#: code → sentence with %(name)s parameters
MESSAGES: Mapping[str, object] = {
    # input, any request
    "required": _l("此项为必填项。"),
    "not_text": _l("请填写文字。"),
    "not_a_number": _l("请填写数字。"),
    "not_a_list": _l("应为一个列表。"),
    "not_an_object": _l("格式不正确，应为一个对象。"),
    "too_long": _l("内容太长，最多 %(max)s 个字。"),
    "too_many": _l("数量过多，最多 %(max)s 个。"),
    "out_of_range": _l("请选择 %(lo)s 到 %(hi)s 之间的一项。"),
    "not_a_choice": _l("请从所列选项中选择。"),
    "no_such_id": _l("没有这个编号。"),
    "number_range": _l("须是 %(lo)s 到 %(hi)s 之间的整数。"),
    "no_such_page": _l("没有这一页（页码须在 1 到 %(hi)s 之间）。"),
    "stale_form": _l("页面已过期，请刷新后重试。"),
    "invalid_text": _l("内容包含无法保存的字符，请删除后重试。"),
    "invalid_date": _l("日期格式应为 年-月-日，例如 2026-10-01。"),
    "invalid_datetime": _l("时间格式应为 ISO 8601，例如 2026-10-01T09:00:00+08:00。"),
    "needs_zone": _l("时间须带时区，例如 2026-10-01T09:00:00+08:00。"),
    "invalid": _l("格式不正确。"),
    "unknown_field": _l("不认识的字段：%(names)s。"),
    "invalid_json": _l("请求内容须为一个 JSON 对象。"),
    "unsupported_media_type": _l("请以 Content-Type: application/json 发送。"),
    "invalid_filter": _l("筛选条件无效：%(reason)s"),
    "unknown_channel": _l("没有这个渠道（可选：%(choices)s）。"),
    "start_after_end": _l("开始日期晚于结束日期。"),
    "date_range": _l("日期须在 %(first)s 到 %(last)s 之间。"),
    # access
    "unauthorized": _l("需要有效的访问令牌（Authorization: Bearer）。"),
    "forbidden": _l("您没有权限执行此操作。"),
    "not_found": _l("没有找到此对象。"),
    # campaigns
    "unknown_scheme": _l("没有这个评价标准：%(scheme)s。"),
    "unknown_organization": _l("没有这个申请组织（编号 %(id)s）。"),
    "unknown_user": _l("没有这些用户：%(users)s。"),
    "not_auditor": _l("不是在职的审查员：%(users)s。"),
    "bad_initial_status": _l("新建的评价项目只能是草稿或收集中。"),
    "closes_before_opens": _l("问卷截止时间须晚于开始时间。"),
    "questionnaire_invalid": _l("评价标准的问卷无法使用：%(detail)s"),
    "campaign_finalized": _l("评价项目已定稿，不能再修改。"),
    "questionnaire_frozen": _l("问卷在开始收集问卷时已冻结，只有草稿状态的评价项目可以修改问卷。"),
    "questionnaire_sheet": _l("问卷表格有误：%(where)s：%(what)s"),
    "organization_frozen": _l("该组织已有定稿的评价项目，只有管理员可以修改其名称或开始经营日期。"),
    "bad_transition": _l("不能把“%(from)s”的评价项目改为“%(to)s”。"),
    "count_range": _l("数量须在 1 到 %(max)s 之间。"),
    # responses
    "bad_token": _l("链接无效，请重新扫描网点的二维码。"),
    "campaign_not_open": _l("本次问卷调查尚未开始，请稍后再来。"),
    "campaign_closed": _l("本次问卷调查已结束，感谢您的关注。"),
    "link_revoked": _l("此链接已停用，请扫描网点现场的最新二维码。"),
    "link_used": _l("此链接已使用过，每个链接只能提交一次。感谢您的参与！"),
    "unknown_outlet": _l("没有这个服务网点。"),
    "unknown_question": _l("问卷中没有这道题。"),
    "answer_required": _l("请选择一项；如不了解，请选“不适用”。"),
    "contact_without_consent": _l("留下联系方式前，请先勾选同意。"),
    "share_without_consent": _l("同意提供给被评价企业之前，须先同意留下联系方式。"),
    "unknown_receipt": _l("没有找到这个回执码，请核对后重试（回执码共 10 位，形如 7KQ2M-9XDA4）。"),
    "invalid_client_id": _l("client_id 须为 8–64 个字母、数字或 - _ . :。"),
    # evaluations and review
    "invalid_input": _l("输入有误：%(detail)s"),
    # what an evaluation input's refusal says to people (the engine's own words stay in detail)
    "score_no_percentage": _l("此项只能填分数（0 到 %(max)s 分），不能填百分比。"),
    "score_percentage_range": _l("百分比须在 0%% 到 100%% 之间（填的是 %(pct)s%%）。"),
    "score_expected": _l("请填写分数；不适用的条款请勾选“不适用”。"),
    "score_negative": _l("分数不能为负（填的是 %(points)s）。"),
    "score_negative_star": _l(
        "分数不能为负（填的是 %(points)s）；带 * 的扣分情形请记 0 分，并登记一项特别扣分。"
    ),
    "score_above_max": _l("%(points)s 分超过本项满分 %(max)s 分。"),
    "score_not_an_option": _l("%(points)s 不是本项可选的分值（可选：%(options)s）。"),
    "score_not_excludable": _l("此项不能删减，请打分。"),
    "unknown_item": _l("没有这一检查项：%(item)s。"),
    "no_special_deductions": _l("本评价标准没有特别扣分项。"),
    "no_special_bonus": _l("本评价标准没有特别加分项。"),
    "too_many_bonus": _l("特别加分项最多 %(max)s 项。"),
    "bonus_needs_note": _l("特别加分项须写明理由（发现的优势）。"),
    "count_not_negative": _l("请填写 0 或正整数。"),
    "survey_unavailable": _l("本项目的问卷还没有可用于 %(measure)s 的有效答卷：%(detail)s"),
    "stored_input_invalid": _l("已保存的评价输入不再有效：%(detail)s"),
    "no_evaluation": _l("还没有录入评价。"),
    "already_finalized": _l("评价已定稿；如需修改，请保存新的草稿以取代它。"),
    "reason_required": _l("请填写原因（排除或恢复答卷都须记录原因）。"),
    "already_excluded": _l("答卷 %(id)s 已被排除。"),
    "not_excluded": _l("答卷 %(id)s 未被排除，无需恢复。"),
    "export_too_large": _l("行数超出 %(format)s 的上限（%(limit)s 行），请改用 CSV 导出。"),
    # accounts, privacy, backup (CLI and admin pages)
    "username_length": _l("用户名须为 2 到 64 个字符。"),
    "username_chars": _l("用户名只能包含字母、数字和 . _ - @。"),
    "unknown_role": _l("没有这个角色：%(role)s（可选：%(roles)s）。"),
    "password_too_short": _l("密码至少 %(min)s 个字符。"),
    "user_exists": _l("用户 %(username)s 已存在。"),
    "unknown_token": _l("没有这个令牌。"),
    "grant_not_needed": _l("%(username)s 是管理员，本就能查看所有评价项目。"),
    "grant_all_viewers_only": _l("只有查看者可以被授予全部评价项目（%(username)s 不是查看者）。"),
    "campaign_open": _l("评价项目仍在进行中，暂不能删除个人信息。"),
    "retention_running": _l("保存期至 %(until)s 为止，届时才能删除个人信息。"),
    "backup_failed": _l("备份或恢复未能完成：%(detail)s"),
    "pdf_unavailable": _l("此服务器缺少生成 PDF 所需的中文字体或排版组件，请改用打印页面。"),
    "evaluation_incomplete": _l("检查表还差 %(count)s 项未填（%(gaps)s），填完后才能定稿。"),
    "outlet_inactive": _l("此服务网点已停用。"),
    "cannot_change_self": _l("不能更改自己的角色或停用自己，请另一位管理员操作。"),
    "last_admin": _l("这是最后一位启用的管理员，不能停用或改为其他角色。"),
    "wrong_password": _l("当前密码不正确。"),
    "password_unchanged": _l("新密码不能与当前密码相同。"),
}

#: what users call a field (index parts like [3] are dropped before the lookup)
FIELD_LABELS: Mapping[str, object] = {
    "title": _l("项目名称"),
    "organization": _l("申请组织"),
    "organization.id": _l("申请组织"),
    "organization.name": _l("申请组织名称"),
    "organization_name": _l("申请组织名称"),
    "organization.operating_since": _l("开始经营日期"),
    "operating_since": _l("开始经营日期"),
    "scheme": _l("评价标准"),
    "evaluation_date": _l("现场评价日期"),
    "management_audit": _l("管理审核"),
    "opens_at": _l("问卷开始时间"),
    "closes_at": _l("问卷截止时间"),
    "outlets": _l("服务网点"),
    "outlets.name": _l("服务网点名称"),
    "outlets.address": _l("服务网点地址"),
    "name": _l("名称"),
    "address": _l("地址"),
    "auditors": _l("审查员"),
    "count": _l("数量"),
    "labels": _l("标签"),
    "status": _l("状态"),
    "comment": _l("意见和建议"),
    "contact": _l("联系方式"),
    "reason": _l("原因"),
    "username": _l("用户名"),
    "password": _l("密码"),
    "role": _l("角色"),
    "current": _l("当前密码"),
    "new": _l("新密码"),
    "user": _l("用户"),
}
_INDEX = re.compile(r"\[\d+\]")
_ITEM = re.compile(r"^scores\.([0-9A-Za-z.]+?)(?:\[\d+\])?$")


class _Params(dict):
    """Message parameters; a placeholder the raise site did not fill prints as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def sentence(code: str, params: Mapping) -> str:
    """The translated sentence of a code with its parameters (a generic one when unknown)."""
    template = MESSAGES.get(code)
    if template is None:
        return _("请求无法完成，请检查后重试。")
    if code == "invalid_input" and params.get("reason") in MESSAGES:
        # the engine's refusal in the reader's words; its own (English) words stay in detail
        return sentence(str(params["reason"]), {**params, "reason": None})
    values = _Params({k: _param(k, v) for k, v in params.items()})
    if "reason" in params:  # a wrapped refusal: its own code's sentence, with the same params
        values["reason"] = sentence(str(params["reason"]), {**params, "reason": None})
    return str(template) % values


def _param(name: str, value: object) -> object:
    if name in ("from", "to", "status"):
        return label("status", value)
    if name == "choices":
        return "、".join(label("channel", v) for v in value)
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if name == "gaps":  # an evaluation's missing items (clause numbers) and fields (words)
        shown = [str(FIELD_LABELS.get(v, v)) for v in list(value)[:6]]
        return "、".join(shown) + ("…" if len(value) > 6 else "")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value


def field_key(field: str | None) -> str:
    """A dotted field without its list indexes: outlets[3].name → outlets.name."""
    return _INDEX.sub("", field or "")


def field_label(field: str | None) -> str | None:
    """The label of a field users recognise, or None (the field is not named to them).

    A checklist item is named by its clause as the seed prints it (scores.4.1.2 → 检查项 4.1.2).
    """
    if not field:
        return None
    item = _ITEM.match(field)
    if item:
        return _("检查项 %(item)s", item=item.group(1))
    found = FIELD_LABELS.get(field_key(field))
    return str(found) if found is not None else None


def message(err: DomainError | Problem, field: str | None = None) -> str:
    """The translated sentence of an error (or of one field's problem), naming the field."""
    field = field if field is not None else getattr(err, "field", None)
    text = sentence(err.code, err.params)
    name = field_label(field)
    return _("%(field)s：%(message)s", field=name, message=text) if name else text


def field_messages(err: DomainError) -> dict[str, str]:
    """Field → sentence, for showing next to each input (the input itself names the field)."""
    out = {f: sentence(p.code, p.params) for f, p in err.fields.items()}
    if err.field and err.field not in out:
        out[err.field] = sentence(err.code, err.params)
    return out
