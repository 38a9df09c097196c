"""Questionnaires designed in a spreadsheet: a 14-question appliance-repair sheet is imported,
a campaign uses it, both channels answer it and S matches a hand computation; a bad sheet is
refused naming sheet, row and column; export → import gives the same questionnaire back."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from surveyapp.db import db
from surveyapp.models import StoredQuestionnaire
from surveyapp.services import questionnaire_sheets as sheets
from surveyapp.services import questionnaires

HEADER = ["id", "kind", "dimension", "text_zh", "text_en", "required", "clause"]
#: an appliance-repair questionnaire: two scored questions per dimension, NPS, a comment
APPLIANCE = [
    [
        "fix_right",
        "likert",
        "functionality",
        "故障一次修好了吗？",
        "Fixed the first time?",
        "yes",
        "4.1.5",
    ],
    ["parts_ok", "likert", "functionality", "更换的配件质量满意吗？", "Parts quality?", "yes", ""],
    ["price_clear", "likert", "economy", "收费明码标价吗？", "Prices clear?", "yes", ""],
    ["price_fair", "likert", "economy", "费用合理吗？", "Fair price?", "yes", ""],
    ["safe_work", "likert", "safety", "维修操作安全规范吗？", "Safe work?", "yes", ""],
    [
        "data_safe",
        "likert",
        "safety",
        "您的家居和隐私受到保护了吗？",
        "Home and privacy safe?",
        "yes",
        "",
    ],
    ["on_time", "likert", "timeliness", "上门准时吗？", "On time?", "yes", ""],
    ["fast_fix", "likert", "timeliness", "修复速度满意吗？", "Repair speed?", "yes", ""],
    ["booking", "likert", "comfort", "预约方便吗？", "Easy booking?", "yes", ""],
    ["clean_up", "likert", "comfort", "完工后清理现场了吗？", "Cleaned up?", "yes", ""],
    ["polite", "likert", "civility", "师傅礼貌吗？", "Polite technician?", "yes", ""],
    ["explain", "likert", "civility", "师傅讲解清楚吗？", "Clear explanation?", "yes", ""],
    ["recommend", "nps", "", "您会向亲友推荐吗？", "Would you recommend us?", "yes", ""],
    ["comment", "text", "", "还有什么建议？", "Anything else?", "no", ""],
]


def workbook(rows, header=HEADER, choices: list[list] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(header)
    for row in rows:
        ws.append(row)
    sheet = wb.create_sheet("choices")
    sheet.append(["list", "value", "label_zh", "label_en"])
    for row in choices or []:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def stored_count() -> int:
    return db.session.scalar(select(func.count(StoredQuestionnaire.id)))


def test_import_via_cli_prints_the_id(app, runner, tmp_path):
    path = tmp_path / "appliance.xlsx"
    path.write_bytes(workbook(APPLIANCE))
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 0, result.output
    stored = db.session.get(StoredQuestionnaire, int(result.stdout.strip()))
    assert stored.name == "appliance" and len(stored.document["questions"]) == 14


def test_unknown_dimension_on_row_5_exits_2_naming_row_5(app, runner, tmp_path):
    rows = [list(r) for r in APPLIANCE]
    rows[3][2] = "speed"  # the fourth question: spreadsheet row 5
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook(rows))
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert "工作表 survey 第 5 行 dimension 列" in line and "未知维度 “speed”" in line
    assert "sheet survey, row 5, column dimension" in line
    assert stored_count() == 0


@pytest.mark.parametrize(
    ("change", "row", "column", "words"),
    [
        (lambda rows: rows[0].__setitem__(0, "Bad Id"), 2, "id", "题号"),
        (lambda rows: rows[2].__setitem__(1, "slider"), 4, "kind", "未知题型"),
        (
            lambda rows: rows[12].__setitem__(2, "economy"),
            14,
            "dimension",
            "题计入维度",
        ),
        (lambda rows: rows[5].__setitem__(3, ""), 7, "text_zh", "不能为空"),
        (lambda rows: rows[6].__setitem__(5, "maybe"), 8, "required", "yes 或 no"),
        (lambda rows: rows[7].__setitem__(0, "on_time"), 9, "id", "重复"),
        (lambda rows: rows.pop(11), None, "dimension", "至少需要 2 道"),
        (lambda rows: rows[13].__setitem__(5, "yes"), 15, "required", "文字题只能选填"),
        (
            lambda rows: rows.append(["more", "text", "", "还有？", "More?", "no", ""]),
            16,
            "kind",
            "最多一道文字题",
        ),
    ],
)
def test_every_rule_names_where(app, change, row, column, words):
    rows = [list(r) for r in APPLIANCE]
    change(rows)
    with pytest.raises(sheets.SheetError) as e:
        questionnaires.import_xlsx(workbook(rows), "x")
    assert (e.value.sheet, e.value.row, e.value.column) == ("survey", row, column)
    assert words in e.value.zh
    assert stored_count() == 0


def test_missing_header_and_not_a_workbook(app):
    with pytest.raises(sheets.SheetError) as e:
        questionnaires.import_xlsx(workbook(APPLIANCE, header=HEADER[:5]), "x")
    assert (e.value.row, e.value.column) == (1, "required")
    with pytest.raises(sheets.SheetError) as e:
        questionnaires.import_xlsx(b"PK not really", "x")
    assert "不是 XLSX" in e.value.zh


def test_export_import_round_trip(app, runner, tmp_path):
    first = questionnaires.import_xlsx(workbook(APPLIANCE), "appliance")
    path = tmp_path / "out.xlsx"
    result = runner.invoke(args=["questionnaire", "export", str(first.id), str(path)])
    assert result.exit_code == 0, result.output
    again = questionnaires.import_xlsx(path.read_bytes(), "again")
    assert again.document["questions"] == first.document["questions"]
    assert again.version == first.version
    # the built-in bank round-trips too (clauses kept), and a formula-like text stays text
    bank = tmp_path / "bank.xlsx"
    assert runner.invoke(args=["questionnaire", "export", "bank:default", str(bank)]).exit_code == 0
    imported = questionnaires.import_xlsx(bank.read_bytes(), "bank")
    from surveyapp import questionnaire as qbank

    assert imported.document["questions"] == qbank.freeze("default")["questions"]
    rows = [list(r) for r in APPLIANCE]
    rows[0][3] = "'=1+1 修好了吗"  # as an export writes it: text, not a formula
    tricky = questionnaires.import_xlsx(workbook(rows), "tricky")
    out = questionnaires.export_xlsx(tricky.id)
    cell = load_workbook(io.BytesIO(out))["survey"]["D2"]
    assert cell.data_type == "s" and cell.value == "'=1+1 修好了吗"
    assert questionnaires.import_xlsx(out, "t2").document["questions"][0]["text"]["zh"] == (
        "=1+1 修好了吗"
    )


def test_a_campaign_with_the_sheet_scores_as_computed_by_hand(app, client, make_user):
    stored = questionnaires.import_xlsx(workbook(APPLIANCE), "appliance")
    admin, token = make_user("admin")
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post(
        "/api/v1/campaigns",
        headers=auth,
        json={
            "organization": {"name": "家电维修公司", "operating_since": "2020-01-01"},
            "scheme": "cqm-2019",
            "outlets": [{"name": "维修一部"}],
            "questionnaire": stored.id,
        },
    )
    assert resp.status_code == 201, resp.json
    campaign_id = resp.json["id"]
    q = client.get(f"/api/v1/campaigns/{campaign_id}/questionnaire").json
    assert [x["id"] for x in q["questions"]] == [r[0] for r in APPLIANCE]
    token_url = resp.json["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    outlet_id = resp.json["outlets"][0]["id"]
    # online: 5 to the first functionality question, 4 to every other scored one
    online = {r[0]: 4 for r in APPLIANCE if r[1] == "likert"}
    online["fix_right"] = 5
    online["recommend"] = 9
    for _ in range(3):
        r = client.post(
            f"/api/v1/links/{token_url}/responses",
            json={"answers": online, "client_id": uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.json
    # in person: 3 everywhere
    in_person = {r[0]: 3 for r in APPLIANCE if r[1] == "likert"} | {"recommend": 5}
    for _ in range(2):
        r = client.post(
            f"/api/v1/campaigns/{campaign_id}/responses",
            headers=auth,
            json={"outlet": outlet_id, "answers": in_person},
        )
        assert r.status_code == 201, r.json
    scores = client.get(f"/api/v1/campaigns/{campaign_id}/scores", headers=auth).json
    # scale 1..5 -> 20..100; functionality online (100 + 80) / 2 = 90, every other
    # dimension 80; S_online = (90 + 5 × 80) / 6; in person every dimension 60
    s_online = (90 + 5 * 80) / 6
    assert scores["S_online"] == pytest.approx(s_online)
    assert scores["S_in_person"] == pytest.approx(60)
    assert scores["S"] == pytest.approx(0.5 * s_online + 0.5 * 60)
    assert scores["dimensions"]["functionality"] == pytest.approx(0.5 * 90 + 0.5 * 60)


def test_the_documented_example_imports(app):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "questionnaire-example.xlsx"
    stored = questionnaires.import_xlsx(example.read_bytes(), "example")
    assert [q["id"] for q in stored.document["questions"]] == [r[0] for r in APPLIANCE]
