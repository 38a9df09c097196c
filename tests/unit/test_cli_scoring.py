"""`flask schemes` and `flask evaluate` (CONTRACT.md "CLI"), run through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from surveyapp.cli.scoring import evaluate_command, schemes_command

INPUT = {
    "scheme": "cqm-2019",
    "evaluation_date": "2026-10-15",
    "scores": {
        "4.1.1": 9.5,
        "4.1.2": [14, 13],
        "4.1.3": 10,
        "4.1.4": 24,
        "4.1.5": 15,
        "4.1.6": 7,
        "4.1.7": 8,
        "4.1.8": 10,
    },
    "management_audit": {"passed": True, "severe_nonconformities": 0},
    "survey": {"S": 91.2, "S_in_person": 75},
    "organization": {"operating_since": "2020-01-01"},
    "events": [{"type": "major_complaint", "date": "2025-05-01", "rectified": True}],
}


def runner() -> CliRunner:
    return CliRunner()


def test_schemes_lists_id_title_and_max_points():
    result = runner().invoke(schemes_command, [])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == [
        "cqm-2019\tCQM 商品售后服务认证评价规范\t100",
        "dni-2026\tDNI 软硬件服务售后服务技术规范\t100",
        "icas-27922\tICAS 商品售后服务认证检查表\t100",
        "xh-2025\tXH 售后服务完善度评价认证（十星）\t200",
    ]


def test_evaluate_file(tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(INPUT), encoding="utf-8")
    result = runner().invoke(evaluate_command, [str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["scheme"] == "cqm-2019"
    assert out["level"] == "three_star"
    assert out["level_name"] == "三星级"
    assert out["score"] == 97.0
    assert out["limited_by"] == ["S_in_person 75.00 < 80 (four_star)"]
    for key in ("groups", "special_deductions", "criteria", "explanation_zh", "parameters"):
        assert key in out


def test_evaluate_stdin():
    result = runner().invoke(evaluate_command, ["-"], input=json.dumps(INPUT))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["level"] == "three_star"


def test_decimal_input_is_exact():
    data = {
        **INPUT,
        "scores": {**INPUT["scores"], "4.1.6": 6.3},
        "survey": {"S": 95, "S_in_person": 95},
    }
    data["scores"]["4.1.1"] = 10
    data["scores"]["4.1.2"] = 15
    data["events"] = []
    result = runner().invoke(evaluate_command, ["-"], input=json.dumps(data))
    assert json.loads(result.stdout)["level"] == "five_star"


def bad(data_text: str):
    return runner().invoke(evaluate_command, ["-"], input=data_text)


def test_bad_input_exit_2_one_line_on_stderr_nothing_on_stdout():
    data = {**INPUT, "scores": {**INPUT["scores"], "4.1.9": 1}}
    result = bad(json.dumps(data))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: scores.4.1.9: unknown item id for scheme cqm-2019\n"


def test_missing_survey():
    data = {k: v for k, v in INPUT.items() if k != "survey"}
    result = bad(json.dumps(data))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: survey: missing required field")
    assert result.stderr.count("\n") == 1


def test_malformed_date():
    result = bad(json.dumps({**INPUT, "evaluation_date": "2026-02-30"}))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: evaluation_date: malformed date")


def test_not_json():
    result = bad("{not json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: input: not valid JSON")


def test_missing_file(tmp_path):
    result = runner().invoke(evaluate_command, [str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.stdout == ""
