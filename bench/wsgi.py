"""The real app as `make run` serves it, with its instance folder in the benchmark's temp dir."""

from __future__ import annotations

import os

from surveyapp import create_app

app = create_app(instance_path=os.environ.get("BENCH_INSTANCE"))
