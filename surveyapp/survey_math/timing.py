"""Sanity check, not a test: time the survey math on synthetic responses.

.venv/bin/python -m surveyapp.survey_math.timing [N]   (default 1,000,000)
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from surveyapp.scoring.survey import SurveyParams

from .aggregates import answer_distribution, per_outlet, responses_over_time
from .frame import ResponseFrame
from .packing import unpack_answers, widths_of
from .quality import quality_flags
from .scores import compute_scores
from .synthetic import synthetic_frame


def main(n: int = 1_000_000) -> dict[str, float]:
    """Print and return seconds per step for n synthetic responses."""
    frame = synthetic_frame(n, outlets=200, seed=7)
    digits = np.frombuffer(b"0123456789A", dtype=np.uint8)
    chars = np.where(frame.answers < 0, ord("-"), digits[np.clip(frame.answers, 0, 10)])
    packed = chars.astype(np.uint8).view(f"S{frame.answers.shape[1]}").ravel()
    packed = packed.astype(str).tolist()  # what a DB driver hands back: a list of str
    params = SurveyParams(thresholds=(60.0, 70.0, 80.0, 90.0))
    out: dict[str, float] = {}

    def step(name, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        out[name] = time.perf_counter() - t0
        print(f"{name:<22} {out[name]:8.3f} s wall {time.process_time() - c0:8.3f} s cpu")
        return result

    print(f"{n:,} responses x {frame.answers.shape[1]} questions")
    answers = step("unpack_answers", lambda: unpack_answers(packed, widths_of(frame.questions)))
    assert (answers == frame.answers).all()
    frame2 = ResponseFrame(frame.meta, answers, frame.questions)
    scores = step("compute_scores (cold)", lambda: compute_scores(frame2, params))
    for i in range(3):
        step(f"compute_scores #{i + 2}", lambda: compute_scores(frame2, params))
    step("per_outlet", lambda: per_outlet(frame2, params))
    step("answer_distribution", lambda: answer_distribution(frame2, params))
    step("responses_over_time", lambda: responses_over_time(frame2))
    step("quality_flags", lambda: quality_flags(frame2))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"S={scores.S:.3f} ci95={scores.ci95['S']} ci95_t={scores.ci95_t['S']}")
    print(f"peak RSS {peak:.0f} MB (synthetic data included)")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
