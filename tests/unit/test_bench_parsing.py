"""The benchmark runner's own logic: wrk summary parsing, targets, the BENCH line."""

import pytest

from bench.common import Figure, Section, bench_line, fmt, table
from bench.scores import concrete, find_rule, label
from bench.submit import parse_wrk

WRK_OUT = """Running 15s test @ http://127.0.0.1:5000
  2 threads and 16 connections
BENCHJSON {"duration_us": 15000000, "requests": 9000, "created": 8990, "repeated": 0, "refused": 10, "sent": 9016, "p50_us": 14000, "p90_us": 20000, "p99_us": 31000, "max_us": 90000, "errors": {"connect": 0, "read": 0, "write": 0, "status": 10, "timeout": 0}}
"""


def test_parse_wrk_reads_the_summary_line():
    got = parse_wrk(WRK_OUT)
    assert got["created"] == 8990 and got["p99_us"] == 31000 and got["errors"]["status"] == 10


def test_parse_wrk_without_summary_is_an_error():
    with pytest.raises(ValueError, match="BENCHJSON"):
        parse_wrk("wrk: connection refused\n")


@pytest.mark.parametrize(
    ("value", "op", "limit", "verdict", "ratio"),
    [
        (0.12, "<=", 0.2, "PASS", 0.6),
        (0.3, "<=", 0.2, "MISS", 1.5),
        (0.7, ">=", 0.6, "PASS", 0.7 / 0.6),
        (0.5, ">=", 0.6, "MISS", 0.5 / 0.6),
        (0, "<=", 0, "PASS", None),
    ],
)
def test_figure_verdict_and_ratio(value, op, limit, verdict, ratio):
    f = Figure("x", value, "s", op, limit)
    assert f.verdict() == verdict
    assert f.ratio == (pytest.approx(ratio) if ratio is not None else None)


def test_figure_without_target_has_no_verdict():
    assert Figure("x", 3.0).verdict() == "" and Figure("x", None, op="<=", limit=1).met is None


def test_bench_line_counts_pass_miss_skip():
    s = Section("scores", "sqlite")
    s.add("1M_cold", 1.5, "s", op="<=", limit=2)
    s.add("1M_warm", 0.4, "s", op="<=", limit=0.2)
    skipped = Section("export", "sqlite", skipped="endpoint missing: export")
    line = bench_line([s, skipped])
    assert line.startswith("BENCH scores.sqlite.1M_cold=1.5 scores.sqlite.1M_warm=0.4 ")
    assert line.endswith("export.sqlite.skipped=1 targets_pass=1 targets_miss=1 skipped=1")
    printed = table([s, skipped])
    assert "MISS (2.00× target)" in printed and "skipped: endpoint missing" in printed


def test_rules_and_labels():
    rules = [
        "/campaigns/<int:campaign_id>/batches/<batch>.csv",
        "/campaigns/<int:campaign_id>/export.csv",
        "/api/v1/campaigns/<int:campaign_id>/scores",
    ]
    assert find_rule(rules, r"campaign_id>.*(export|responses\.csv)") == rules[1]
    assert find_rule(rules, r"dashboard") is None
    assert concrete(rules[2], 7) == "/api/v1/campaigns/7/scores"
    web = "/campaigns/<int:campaign_id>/export/<any(responses, scores):kind>.<any(csv, xlsx):ext>"
    assert concrete(web, 3) == "/campaigns/3/export/responses.csv"
    assert [label(n) for n in (10_000, 1_000_000, 1500)] == ["10k", "1M", "1500"]
    assert fmt(1234.5) == "1,234" and fmt(0.01234) == "0.0123" and fmt(None) == "-"
