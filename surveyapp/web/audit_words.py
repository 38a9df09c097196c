"""The audit log in words: each entry's action, what it concerns and what changed (old → new),
for the admin's audit page. The stored entries stay machine-readable (and so does the CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import db
from ..i18n import label
from ..models import AuditLog, Campaign, Outlet, User

#: the words for detail keys (a key not here is shown as it is stored)
KEYS = {
    "campaign": _l("评价项目"),
    "campaign_id": _l("评价项目"),
    "outlet_id": _l("服务网点"),
    "user": _l("用户"),
    "role": _l("角色"),
    "status": _l("状态"),
    "level": _l("星级"),
    "score": _l("得分"),
    "evaluation_id": _l("评价记录"),
    "supersedes_id": _l("取代的评价记录"),
    "exclusion_id": _l("剔除记录"),
    "reason": _l("原因"),
    "responses": _l("答卷数"),
    "addresses": _l("失败的来源地址数"),
    "filters": _l("筛选条件"),
    "name": _l("名称"),
    "address": _l("地址"),
    "title": _l("项目名称"),
    "organization_name": _l("申请组织"),
    "operating_since": _l("经营起始日期"),
    "evaluation_date": _l("现场评价日期"),
    "opens_at": _l("问卷开始时间"),
    "closes_at": _l("问卷截止时间"),
    "outlets": _l("服务网点数"),
    "count": _l("数量"),
    "batch": _l("批次"),
    "auditors": _l("审查员"),
    "scheme": _l("评价标准"),
    "organization": _l("申请组织"),
    "by": _l("经由"),
    "questionnaire": _l("问卷版本"),
}
#: keys whose values are vocabulary ids
VALUE_VOCABULARY = {"role": "role", "status": "status", "level": "level", "by": "audit_action"}
#: stored reasons of refused or failed sign-ins, in words
REASONS = {
    "throttled": _l("尝试过多，正在等待"),
    "locked": _l("账户已锁定"),
    "unknown user": _l("没有这个用户"),
}
#: detail keys that hold an id of a user, a campaign or an outlet (shown by name)
ID_KEYS = {"user": "user", "campaign": "campaign", "campaign_id": "campaign", "outlet_id": "outlet"}

#: target kinds in words
KINDS = {
    "campaign": _l("评价项目"),
    "user": _l("用户"),
    "outlet": _l("服务网点"),
    "link": _l("链接"),
    "token": _l("令牌"),
    "response": _l("答卷"),
}


@dataclass(frozen=True)
class Line:
    """One row of an entry's details: what, and its value or its old and new values."""

    key: str
    value: str | None = None
    old: str | None = None
    new: str | None = None

    @property
    def changed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Described:
    entry: AuditLog
    action: str
    target: str
    lines: list[Line]


def _word(key: str, value, names: dict[str, str] | None = None) -> str:
    names = names or {}
    if key in ID_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return names.get(f"{ID_KEYS[key]}:{value}", str(value))
    if key == "reason" and value in REASONS:
        return str(REASONS[value])
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key in VALUE_VOCABULARY:
        return label(VALUE_VOCABULARY[key], value)
    if isinstance(value, list):
        return "、".join(_word(key, v, names) for v in value) or _("（无）")
    if isinstance(value, dict):
        return "；".join(f"{KEYS.get(k, k)}：{_word(k, v, names)}" for k, v in value.items())
    return str(value)


def _lines(detail, names: dict[str, str] | None = None) -> list[Line]:
    if not isinstance(detail, dict):
        return [] if detail in (None, "") else [Line(_("详情"), str(detail))]
    detail = dict(detail)
    lines: list[Line] = []
    if "from" in detail and "to" in detail:  # a status change
        old, new = detail.pop("from"), detail.pop("to")
        lines.append(Line(str(KEYS["status"]), old=_word("status", old), new=_word("status", new)))
    before, after = detail.pop("before", None), detail.pop("after", None)
    detail.pop("fields", None)
    if isinstance(before, dict) and isinstance(after, dict):
        for k in after:
            lines.append(
                Line(
                    str(KEYS.get(k, k)),
                    old=_word(k, before.get(k), names),
                    new=_word(k, after[k], names),
                )
            )
    elif isinstance(before, list) and isinstance(after, list):  # who was assigned, by user id
        lines.append(
            Line(
                str(KEYS["auditors"]),
                old=_word("user", before, names),
                new=_word("user", after, names),
            )
        )
    for k, v in detail.items():
        name = str(KEYS.get(k, k))
        if isinstance(v, list) and len(v) == 2 and k not in ("auditors", "filters"):
            lines.append(Line(name, old=_word(k, v[0], names), new=_word(k, v[1], names)))
        else:
            lines.append(Line(name, _word(k, v, names)))
    return lines


def _names(entries: Iterable[AuditLog]) -> dict[str, str]:
    """'campaign:3' → its title, 'user:2' → its name, 'outlet:5' → its name, for targets and
    the ids details name, in three queries."""
    wanted: dict[str, set[int]] = {"campaign": set(), "user": set(), "outlet": set()}
    for e in entries:
        kind, _sep, ident = (e.target or "").partition(":")
        if kind in wanted and ident.isascii() and ident.isdigit() and len(ident) < 19:
            wanted[kind].add(int(ident))
        detail = e.detail if isinstance(e.detail, dict) else {}
        for key, kind in ID_KEYS.items():
            value = detail.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                wanted[kind].add(value)
        for key in ("before", "after"):
            listed = detail.get(key)
            for value in listed if isinstance(listed, list) else []:
                if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                    wanted["user"].add(value)
    names: dict[str, str] = {}
    for kind, model, column in (
        ("campaign", Campaign, Campaign.title),
        ("user", User, User.username),
        ("outlet", Outlet, Outlet.name),
    ):
        if wanted[kind]:
            rows = db.session.execute(select(model.id, column).where(model.id.in_(wanted[kind])))
            names.update({f"{kind}:{i}": n for i, n in rows})
    return names


def describe(entries: list[AuditLog]) -> list[Described]:
    """The entries in words, ready for the page."""
    names = _names(entries)
    out = []
    for e in entries:
        kind, _sep, ident = (e.target or "").partition(":")
        target = ""
        if e.target:
            what = KINDS.get(kind)
            target = f"{what} {ident}" if what else e.target
            if e.target in names:
                target += f"（{names[e.target]}）"
        out.append(Described(e, label("audit_action", e.action), target, _lines(e.detail, names)))
    return out
