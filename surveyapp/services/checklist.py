"""The checklist's score columns: one per auditor, merged so that auditors on several
tablets never undo each other (see `merge_columns`).

Each item's points are kept by column key — an assigned auditor's user id, or "#k" for an
unnamed column (a co-auditor on paper) — in the input's `_columns`; `scores` is derived from
them for the engine. The page posts its cells as `score-<item>-<k>` with the keys it was
drawn with (`column_keys`) and, for the fields every auditor shares, what it was drawn with
(`was-<name>`), so a save changes only what that page changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..models import Campaign, User
from ..scoring import Scheme

#: score columns one checklist may have (one per auditor; seed 000 §6.1.4 takes their mean)
MAX_COLUMNS = 12


def typed_points(text: str) -> Any:
    """A typed score: a number when it reads as one, else the text (the engine names it)."""
    text = text.strip().replace("，", ".")
    if text.endswith("%"):
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def column_keys_of(campaign: Campaign, data: dict[str, Any] | None) -> list[str]:
    """One key per score column: each assigned auditor's user id, then "#k" for any further
    column a stored list of points needs (an input typed elsewhere, or an earlier auditor)."""
    keys = [str(a.id) for a in campaign.auditors]
    for values in _cells(data).values():
        for key in values:
            if key not in keys:
                keys.append(key)
    return keys or ["#0"]


def _cells(data: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """item id -> {column key: points} of a stored input: its `_columns` record, or (an input
    saved before columns were recorded) its lists of points in the auditors' order."""
    data = data or {}
    cols = data.get("_columns")
    if isinstance(cols, dict):
        return {str(k): dict(v) for k, v in cols.items() if isinstance(v, dict)}
    return {}


def _legacy_cells(campaign, data: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    ids = [str(a.id) for a in campaign.auditors]
    out: dict[str, dict[str, Any]] = {}
    for item_id, v in ((data or {}).get("scores") or {}).items():
        if isinstance(v, str) and v.strip().lower() == "n/a":
            continue
        values = v if isinstance(v, list) else [v]
        out[str(item_id)] = {(ids[k] if k < len(ids) else f"#{k}"): x for k, x in enumerate(values)}
    return out


def columns_of(campaign, data: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The stored points of every item by column (see _cells)."""
    return _cells(data) or _legacy_cells(campaign, data)


#: a column key as the page names it: an auditor's user id, or "#k" for an unnamed column
_KEY = re.compile(r"^(\d{1,18}|#\d{1,2})$")
#: what every auditor shares on the checklist (the last to change one decides it)
SHARED = (
    "evaluation_date",
    "special_deductions",
    "special_bonus",
    "management_audit",
    "organization",
    "events",
)


def _page_keys(form: Mapping, fallback: list[str], columns: int) -> list[str]:
    """The column keys the page was drawn with (its hidden `column_keys`), so a column means
    the same auditor at saving as at drawing; else the current ones."""
    given = [k for k in str(form.get("column_keys", "")).split(",") if k]
    if given and len(given) <= MAX_COLUMNS and all(_KEY.match(k) for k in given):
        keys = given
    else:
        keys = list(fallback)
    return keys + [f"#{k}" for k in range(len(keys), columns)]


def _unchanged(form: Mapping, name: str, now: Any) -> bool:
    """Whether the page left a shared value as it was drawn (its hidden `was-<name>`)."""
    raw = form.get(f"was-{name}")
    if raw is None:
        return False
    try:
        return json.loads(raw) == now
    except ValueError:
        return False


def merge_columns(
    campaign: Campaign,
    scheme: Scheme,
    form: Mapping,
    data: dict[str, Any],
    stored,
    user: User,
    columns: int,
) -> dict[str, Any]:
    """The input to save, merged with the stored draft so auditors on several tablets never
    undo each other: an assigned auditor changes only their own column and the unnamed ones
    (a co-auditor on paper), never another user's; anyone else (an admin) every column; a
    column the page did not show is kept. A shared field (dates, management audit, events,
    deductions, bonus, an item's 不适用) is taken from the page only when the page changed it."""
    stored = stored or {}
    keys = _page_keys(form, column_keys_of(campaign, stored), columns)
    assigned = any(a.id == user.id for a in campaign.auditors)
    cells = _merged_cells(scheme, form, columns_of(campaign, stored), keys, user, assigned)
    merged = {**data, "scores": _scores_of(scheme, form, cells, keys, stored), "_columns": cells}
    for name in SHARED:
        if stored and _unchanged(form, name, data.get(name)):
            if name in stored:
                merged[name] = stored[name]
            else:
                merged.pop(name, None)
    return merged


def _merged_cells(scheme: Scheme, form: Mapping, cells, keys, user, assigned: bool) -> dict:
    """Each item's points by column, with the columns this user may change taken from the page."""
    mine = str(user.id)
    for item in scheme.items:
        row = dict(cells.get(item.id, {}))
        for k, key in enumerate(keys):
            if assigned and key.isdigit() and key != mine:
                continue  # another user's column: theirs to change
            typed = form.get(f"score-{item.id}-{k}", "").strip()
            if typed:
                row[key] = typed_points(typed)
            else:
                row.pop(key, None)
        if row:
            cells[item.id] = row
        else:
            cells.pop(item.id, None)
    return cells


def _scores_of(scheme: Scheme, form: Mapping, cells, keys, stored) -> dict[str, Any]:
    """The engine's `scores`: "n/a", one value, or the columns' values in column order."""
    old_scores = stored.get("scores") or {}
    scores: dict[str, Any] = {}
    for item in scheme.items:
        ticked = bool(item.excludable and form.get(f"na-{item.id}"))
        if item.excludable and _unchanged(form, f"na-{item.id}", ticked):
            ticked = old_scores.get(item.id) == "n/a"  # this page left it: keep what is stored
        if ticked:
            scores[item.id] = "n/a"
            continue
        row = cells.get(item.id) or {}
        values = [row[k] for k in keys if k in row] + [v for k, v in row.items() if k not in keys]
        if len(values) == 1:
            scores[item.id] = values[0]
        elif values:
            scores[item.id] = values
    return scores
