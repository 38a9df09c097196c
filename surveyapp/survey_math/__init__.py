"""Survey math: S, dimensions, intervals, sufficiency, α, quality flags and dashboard group-bys.

numpy/pandas/scipy only — no Flask, no database. Inputs are a ResponseFrame (response metadata
+ an int8 answers matrix); results are frozen dataclasses and DataFrames, serialized by callers.

Decisions worth knowing (details in each module):
- an answer counts only when params.scale maps it; 不适用 (-1) and off-scale values are missing;
- the 95 % interval that decides sufficiency and "marginal" is the percentile bootstrap within
  each channel (intervals.py: exact up to 10,000 valid responses per channel, rescaled
  m-out-of-n above); `ci95_t` is the linearized t interval over all responses;
- half-width = (hi − lo) / 2; marginal = some threshold t with lo < t ≤ hi;
- satisfaction rate = share of 满意 or better on the overall question (a likert question on no
  dimension) when the questionnaire has one, else over all answered scored likert answers;
  satisfaction rate and NPS are combined over channels with ω like S (pooled when combine is);
- Cronbach's α uses the valid responses of both channels, complete cases per dimension.
"""

from .aggregates import (
    answer_distribution,
    choice_distribution,
    per_outlet,
    responses_over_time,
)
from .frame import DEFAULT_TZ, ResponseFrame, filter_responses
from .intervals import DEFAULT_MAX_N
from .packing import NOT_APPLICABLE, pack_answers, unpack_answers
from .quality import FLAG_COLUMNS, quality_flags
from .reliability import cronbach_alpha
from .scores import SurveyScores, compute_scores

__all__ = [
    "DEFAULT_MAX_N",
    "DEFAULT_TZ",
    "FLAG_COLUMNS",
    "NOT_APPLICABLE",
    "ResponseFrame",
    "SurveyScores",
    "answer_distribution",
    "choice_distribution",
    "compute_scores",
    "cronbach_alpha",
    "filter_responses",
    "pack_answers",
    "per_outlet",
    "quality_flags",
    "responses_over_time",
    "unpack_answers",
]
