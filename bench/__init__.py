"""Benchmarks with targets, each measured against what it is compared with in the same run.

`make bench` (python -m bench) runs them all, prints a table and a final `BENCH key=value …`
line, and writes bench/results.json. Benchmarks print figures; they are not tests.
"""
