"""Satisfaction rate and NPS: shown beside S, not used by the levels unless a scheme says so."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveyapp.scoring.survey import CHANNELS

from .core import Prepared
from .frame import ResponseFrame

SATISFIED_FROM = 4  #: 满意 (4) or 非常满意 (5)
PROMOTER_FROM = 9  #: NPS promoters answer 9-10
DETRACTOR_TO = 6  #: NPS detractors answer 0-6


@dataclass(frozen=True)
class ChannelCounts:
    """Counts per channel (index into CHANNELS) behind a rate: hits and answers."""

    basis: str  #: which answers were counted, stated with the result
    hits: np.ndarray  #: (2,) satisfied answers / promoters − detractors
    answered: np.ndarray  #: (2,)

    def rates(self) -> list[float | None]:
        """100 · hits / answered per channel; None where nothing was answered."""
        return [
            100.0 * float(h) / float(a) if a > 0 else None
            for h, a in zip(self.hits, self.answered, strict=True)
        ]

    def pooled(self) -> float | None:
        """The rate over both channels' answers together."""
        a = float(self.answered.sum())
        return 100.0 * float(self.hits.sum()) / a if a > 0 else None


def satisfaction_counts(frame: ResponseFrame, prep: Prepared) -> ChannelCounts:
    """Satisfied (answer ≥ 4) over answered (1..5), valid responses, per channel.

    With an overall question (a likert question on no dimension, e.g. 总体满意度) the rate is the
    share of respondents answering it 满意 or better; otherwise the share of all answered scored
    likert answers that are 满意 or better. N/A answers count in neither.
    """
    overall = [
        i for i, q in enumerate(frame.questions) if q.kind == "likert" and q.dimension is None
    ]
    if overall:
        cols = np.array(overall[:1])
        basis = f"overall_question:{frame.questions[overall[0]].id}"
    else:
        cols = prep.layout.scored_idx
        basis = "scored_answers"
    hits = np.zeros(len(CHANNELS))
    answered = np.zeros(len(CHANNELS))
    for c in range(len(CHANNELS)):
        vals = frame.answers[prep.rows(c)][:, cols]
        ok = (vals >= 1) & (vals <= 5)
        answered[c] = ok.sum()
        hits[c] = (ok & (vals >= SATISFIED_FROM)).sum()
    return ChannelCounts(basis, hits, answered)


def nps_counts(frame: ResponseFrame, prep: Prepared) -> ChannelCounts | None:
    """Promoters (9-10) minus detractors (0-6) over answers 0..10 of the first `nps` question."""
    nps = [i for i, q in enumerate(frame.questions) if q.kind == "nps"]
    if not nps:
        return None
    hits = np.zeros(len(CHANNELS))
    answered = np.zeros(len(CHANNELS))
    for c in range(len(CHANNELS)):
        vals = frame.answers[prep.rows(c), nps[0]]
        ok = (vals >= 0) & (vals <= 10)
        answered[c] = ok.sum()
        hits[c] = (ok & (vals >= PROMOTER_FROM)).sum() - (ok & (vals <= DETRACTOR_TO)).sum()
    return ChannelCounts(f"nps_question:{frame.questions[nps[0]].id}", hits, answered)
