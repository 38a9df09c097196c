"""A quality flag's reason in the reader's language.

The survey math writes each flagged response's reason in Chinese with its figures, from the
sentences of `quality.REASONS` (用时 12 秒，不到渠道中位数 180 秒的一半), for the exports. Those
sentences are also the catalogue's source strings: the review page matches each part of a
reason against them, keeps its figures, and writes the catalogue's sentence for the reader's
language in its place; a part it does not know is shown as it is.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from ..survey_math.quality import REASON_FIELD, REASON_SEPARATOR, REASONS


def _pattern(template: str) -> re.Pattern[str]:
    """The template as a pattern: its words literally, each %(name)s as a named figure."""
    parts = REASON_FIELD.split(template)
    regex = "".join(
        re.escape(part) if k % 2 == 0 else f"(?P<{part}>[^{REASON_SEPARATOR}]+?)"
        for k, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


SENTENCES = tuple((_pattern(t), t) for t in REASONS.values())


def reason_words(reason: str) -> str:
    """The reason (sentences joined by ；) in the reader's language."""
    out = []
    for part in (reason or "").split(REASON_SEPARATOR):
        for pattern, source in SENTENCES:
            found = pattern.match(part.strip())
            if found:
                out.append(_(source, **found.groupdict()))
                break
        else:
            out.append(part)
    return _("；").join(p for p in out if p)
