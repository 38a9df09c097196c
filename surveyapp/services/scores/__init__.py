"""A campaign's perception scores: load responses in one select, compute, cache.

Reads only; they return plain values (dicts, DataFrames). Results are cached in-process under
a key that changes whenever a response is added or an exclusion is recorded (`fingerprint`).
The review writes (exclude, reinstate) live in services/review.py.

By job: `adapters` (the campaign's frozen JSON as scoring types), `filters` (ScoreFilter and
its parsing), `decoding` (aggregate strings to numpy columns), `loading` (the frame and the
light paradata), `cache` (the fingerprint-keyed LRUs), `results` (the use cases). Callers
use the names re-exported here: `scores.campaign_scores(...)`.
"""

from __future__ import annotations

from .adapters import params_of, questions_of
from .cache import (
    Whole,
    cached,
    cached_whole,
    clear_cache,
    fingerprint,
    flag_context,
    refresh_whole,
    whole_or_previous,
)
from .filters import NO_FILTER, ScoreFilter, check_outlets, parse_filter
from .loading import FLAG_PAGE, load_frame, load_paradata
from .results import (
    campaign_scores,
    drivers,
    flag_summary,
    flags,
    outlet_names,
    outlet_scores,
    submission_span,
    survey_figures,
    survey_record,
    trend,
)

__all__ = [
    "FLAG_PAGE",
    "NO_FILTER",
    "ScoreFilter",
    "cached",
    "cached_whole",
    "Whole",
    "refresh_whole",
    "whole_or_previous",
    "campaign_scores",
    "drivers",
    "clear_cache",
    "fingerprint",
    "flag_context",
    "flag_summary",
    "flags",
    "load_frame",
    "load_paradata",
    "outlet_names",
    "outlet_scores",
    "params_of",
    "parse_filter",
    "check_outlets",
    "questions_of",
    "submission_span",
    "survey_figures",
    "survey_record",
    "trend",
]
