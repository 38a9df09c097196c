"""A quality flag's reason in the reader's language.

The survey math writes each flagged response's reason in Chinese, with its figures (用时 12 秒，
不到渠道中位数 180 秒的一半), for the exports and the ledger. The review page reads the same
sentences back through the catalogues: each known sentence is matched, its figures kept, and
the catalogue's sentence for the reader's language written in its place; a sentence it does
not know is shown as it is.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from ..vocabulary import N_

#: (the survey math's sentence, its catalogue form with the figures by name)
SENTENCES = (
    (
        re.compile(r"^答题过快：用时 (?P<s>[\d.]+) 秒，不到渠道中位数 (?P<m>[\d.]+) 秒的一半$"),
        N_("答题过快：用时 %(s)s 秒，不到渠道中位数 %(m)s 秒的一半"),
    ),
    (
        re.compile(r"^答题过快：用时 (?P<s>[\d.]+) 秒，少于每题 (?P<p>[\d.]+) 秒 × (?P<n>\d+) 题$"),
        N_("答题过快：用时 %(s)s 秒，少于每题 %(p)s 秒 × %(n)s 题"),
    ),
    (
        re.compile(r"^直线作答：(?P<n>\d+) 个答案全部为 (?P<v>\d+)$"),
        N_("直线作答：%(n)s 个答案全部为 %(v)s"),
    ),
    (
        re.compile(r"^重复提交：同一客户端 id 已有更早的答卷$"),
        N_("重复提交：这台设备已有更早的答卷"),
    ),
    (re.compile(r"^重复使用：一次性链接已被使用过$"), N_("重复使用：一次性链接已被使用过")),
    (
        re.compile(
            r"^集中提交：同一设备 (?P<m>[\d.]+) 分钟内 ≥(?P<d>\d+) 份，或同一网段 ≥(?P<n>\d+) 份$"
        ),
        N_("集中提交：同一设备 %(m)s 分钟内 ≥%(d)s 份，或同一网段 ≥%(n)s 份"),
    ),
    (
        re.compile(r"^无答题计时：提交时没有带回页面的开始时间$"),
        N_("无答题计时：提交时没有带回页面的开始时间"),
    ),
)


def reason_words(reason: str) -> str:
    """The reason (sentences joined by ；) in the reader's language."""
    out = []
    for part in (reason or "").split("；"):
        for pattern, source in SENTENCES:
            found = pattern.match(part.strip())
            if found:
                out.append(_(source, **found.groupdict()))
                break
        else:
            out.append(part)
    return _("；").join(p for p in out if p)
