"""Star-level engine: pure, standard library only (STYLE.md "Dependency direction").

Typical use (the file-reading shell is surveyapp.schemes)::

    ev = parse_input(data, scheme)          # InputError(field, message) on bad input
    result = evaluate(scheme, ev)           # frozen Result
    payload = result_to_dict(result)        # the contract's result JSON
"""

from __future__ import annotations

from collections.abc import Mapping

from .criteria import REGISTRY, Context, Kind, Param, add_months, register, window_start
from .engine import compute, evaluate
from .errors import InputError, SchemeError, ScoringError
from .inputs import parse_input, required_fields
from .model import (
    EVENT_TYPES,
    Adjustment,
    Criterion,
    EvaluationInput,
    Event,
    Group,
    Item,
    ItemScore,
    Level,
    ManagementAudit,
    Part,
    Scheme,
    SpecialDeduction,
    SurveyFigures,
)
from .results import Check, Computation, CriterionResult, NodeScore, Result
from .serialize import explanation_zh, result_to_dict
from .survey import DIMENSIONS, Question, SurveyParams


def evaluate_data(
    data: Mapping[str, object], scheme: Scheme, survey: Mapping[str, object] | None = None
) -> dict:
    """Validate `data` for `scheme`, run the engine and return the result JSON as a dict."""
    return result_to_dict(evaluate(scheme, parse_input(data, scheme, survey)))


__all__ = [
    "DIMENSIONS",
    "EVENT_TYPES",
    "REGISTRY",
    "Adjustment",
    "Check",
    "Computation",
    "Context",
    "Criterion",
    "CriterionResult",
    "EvaluationInput",
    "Event",
    "Group",
    "InputError",
    "Item",
    "ItemScore",
    "Kind",
    "Level",
    "ManagementAudit",
    "NodeScore",
    "Param",
    "Part",
    "Question",
    "Result",
    "Scheme",
    "SchemeError",
    "ScoringError",
    "SpecialDeduction",
    "SurveyFigures",
    "SurveyParams",
    "add_months",
    "compute",
    "evaluate",
    "evaluate_data",
    "explanation_zh",
    "parse_input",
    "register",
    "required_fields",
    "result_to_dict",
    "window_start",
]
