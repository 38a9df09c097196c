"""The campaign's frozen JSON as scoring types: survey parameters and questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models import Campaign
from ...questionnaire import with_kind
from ...scoring.survey import Choice, Question, SurveyParams


def params_of(campaign: Campaign) -> SurveyParams:
    """The SurveyParams frozen on the campaign (scale keys back to ints, thresholds a tuple)."""
    raw = dict(campaign.survey_params or {})
    if "scale" in raw:
        raw["scale"] = {int(k): float(v) for k, v in raw["scale"].items()}
    if "thresholds" in raw:
        raw["thresholds"] = tuple(float(t) for t in raw["thresholds"])
    known = SurveyParams.__dataclass_fields__
    return SurveyParams(**{k: v for k, v in raw.items() if k in known})


def _text(q: Mapping[str, Any], lang: str) -> str:
    text = q.get("text")
    if isinstance(text, Mapping):
        return str(text.get(lang) or text.get("zh") or "")
    if isinstance(text, str):
        return text
    return str(q.get(f"text_{lang}") or q.get("text_zh") or "")


def questions_of(campaign: Campaign) -> tuple[Question, ...]:
    """The campaign's frozen questionnaire as scoring Questions, in stored (packing) order."""
    out = []
    for q in (campaign.questionnaire or {}).get("questions", []):
        out.append(
            Question(
                id=str(q["id"]),
                text_zh=_text(q, "zh"),
                text_en=_text(q, "en"),
                kind=str(q.get("kind") or "likert"),
                dimension=q.get("dimension"),
                clause=q.get("clause"),
                required=bool(q.get("required", True)),
                choices=tuple(
                    Choice(int(c["value"]), str(c.get("zh", "")), str(c.get("en", "")))
                    for c in q.get("choices") or ()
                ),
                show_if=q.get("show_if"),
            )
        )
    return tuple(with_kind(q) for q in out)
