"""Question kinds end to end: single and multiple choice and display logic, designed in the
spreadsheet, answered through the API and the customer's page, stored in their packed width,
read back in the review words and the exports; and every kind's rules refuse bad answers."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp import questionnaire as qbank
from surveyapp.db import db
from surveyapp.models import Campaign, Response
from surveyapp.question_kinds import KINDS
from surveyapp.services import exports, questionnaires
from surveyapp.services import questionnaire_sheets as sheets
from surveyapp.services.responses import validate_answers
from surveyapp.vocabulary import QUESTION_KINDS
from tests.integration.test_questionnaire_sheets import APPLIANCE, workbook

HEADER = [
    "id",
    "kind",
    "dimension",
    "text_zh",
    "text_en",
    "required",
    "clause",
    "choices",
    "show_if",
]
#: the appliance sheet, then: how the repair was booked (single), what was repaired
#: (multiple, seven options: two characters), and a follow-up shown when the fix was poor
EXTRA = [
    ["booked", "single", "", "您是怎么预约的？", "How did you book?", "yes", "", "booking", ""],
    ["parts", "multiple", "", "修了哪些部分？", "What was repaired?", "no", "", "parts", ""],
    ["why", "text", "", "哪里没修好？", "What was not fixed?", "no", "", "", "fix_right <= 2"],
]
CHOICES = [
    ["booking", 1, "电话", "Phone"],
    ["booking", 2, "微信", "WeChat"],
    ["booking", 3, "门店", "In store"],
    *[["parts", v, f"部件{v}", f"Part {v}"] for v in range(1, 8)],
]


def rows() -> list[list]:
    base = [[*r[:7], "", ""] for r in APPLIANCE if r[1] != "text"]
    return [*base, *EXTRA]


def sheet(change=None, choices=CHOICES) -> bytes:
    data = [list(r) for r in rows()]
    if change:
        change(data)
    return workbook(data, header=HEADER, choices=choices)


def campaign_with(client, make_user, stored_id: int):
    _admin, token = make_user("admin")
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post(
        "/api/v1/campaigns",
        headers=auth,
        json={
            "organization": {"name": "家电维修公司", "operating_since": "2020-01-01"},
            "scheme": "cqm-2019",
            "outlets": [{"name": "维修一部"}],
            "questionnaire": stored_id,
        },
    )
    assert resp.status_code == 201, resp.json
    return resp.json, auth


def scored_answers(value: int = 4) -> dict:
    return {r[0]: value for r in APPLIANCE if r[1] == "likert"} | {"recommend": 9}


def test_every_kind_has_a_module_a_label_and_a_partial():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    assert set(KINDS) == set(QUESTION_KINDS) == set(qbank.KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name
        assert (templates / kind.partial).is_file(), kind.partial
    assert [k for k, v in KINDS.items() if v.scored] == ["likert"]


def test_a_choice_sheet_imports_exports_and_round_trips(app):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    qs = {q["id"]: q for q in stored.document["questions"]}
    assert qs["booked"]["choices"] == [
        {"value": 1, "zh": "电话", "en": "Phone"},
        {"value": 2, "zh": "微信", "en": "WeChat"},
        {"value": 3, "zh": "门店", "en": "In store"},
    ]
    assert len(qs["parts"]["choices"]) == 7 and qs["why"]["show_if"] == "fix_right <= 2"
    out = questionnaires.export_xlsx(stored.id)
    wb = load_workbook(io.BytesIO(out))
    assert wb["choices"].max_row == 1 + 10  # header + every option, each list named by question
    again = questionnaires.import_xlsx(out, "again")
    assert again.document["questions"] == stored.document["questions"]
    assert again.version == stored.version


@pytest.mark.parametrize(
    ("change", "choices", "where", "words"),
    [
        (lambda d: d[13].__setitem__(7, ""), CHOICES, ("survey", 15, "choices"), "选项列表"),
        (lambda d: d[13].__setitem__(7, "nope"), CHOICES, ("survey", 15, "choices"), "nope"),
        (lambda d: d[0].__setitem__(7, "booking"), CHOICES, ("survey", 2, "choices"), "不用选项"),
        (None, [*CHOICES, ["booking", 2, "再来", "Again"]], ("choices", 12, "value"), "重复"),
        (None, [*CHOICES, ["booking", "x", "坏", "Bad"]], ("choices", 12, "value"), "整数"),
        (None, [["booking", 1, "电话", "Phone"], *CHOICES[3:]], ("survey", 15, "choices"), "至少"),
        (lambda d: d[15].__setitem__(8, "q99 <= 2"), CHOICES, ("survey", 17, "show_if"), "前面"),
        (
            lambda d: d[15].__setitem__(8, "fix_right <= 9"),
            CHOICES,
            ("survey", 17, "show_if"),
            "超出",
        ),
        (lambda d: d[15].__setitem__(8, "parts <= 2"), CHOICES, ("survey", 17, "show_if"), "has"),
        (lambda d: d[15].__setitem__(8, "booked has 2"), CHOICES, ("survey", 17, "show_if"), "has"),
        (lambda d: d[15].__setitem__(8, "booked = 7"), CHOICES, ("survey", 17, "show_if"), "没有"),
        (lambda d: d[15].__setitem__(8, "fix_right"), CHOICES, ("survey", 17, "show_if"), "应写成"),
        (
            lambda d: d[0].__setitem__(8, "recommend < 7"),
            CHOICES,
            ("survey", 2, "show_if"),
            "计分题",
        ),
    ],
)
def test_choice_and_condition_rules_name_sheet_row_and_column(app, change, choices, where, words):
    with pytest.raises(sheets.SheetError) as e:
        questionnaires.import_xlsx(sheet(change, choices), "x")
    assert (e.value.sheet, e.value.row, e.value.column) == where
    assert words in e.value.zh, e.value.zh


def test_answers_are_checked_by_their_kind(app):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    q = qbank.from_frozen(stored.document)
    ok = scored_answers() | {"booked": 2, "parts": [1, 7]}
    values, _c = validate_answers(q, ok)
    by_id = dict(zip([x.id for x in q.questions], values, strict=True))
    assert by_id["booked"] == 2 and by_id["parts"] == frozenset({1, 7})
    for bad in ({"booked": 4}, {"booked": [1]}, {"parts": [1, 1]}, {"parts": [8]}, {"parts": 1}):
        with pytest.raises(Exception) as e:
            validate_answers(q, ok | bad)
        assert getattr(e.value, "code", None) == "not_a_choice", bad
    # n/a is an answer for both; an empty selection is n/a
    validate_answers(q, ok | {"booked": None, "parts": []})
    with pytest.raises(Exception) as e:
        validate_answers(q, {k: v for k, v in ok.items() if k != "booked"})
    assert e.value.code == "answer_required"


def test_choice_answers_are_stored_exported_and_worded(app, client, make_user):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    q = client.get(f"/api/v1/campaigns/{made['id']}/questionnaire", headers=auth).json
    booked = next(x for x in q["questions"] if x["id"] == "booked")
    assert booked["kind"] == "single" and booked["choices"][1] == {
        "value": 2,
        "zh": "微信",
        "en": "WeChat",
    }
    sent = [
        scored_answers() | {"booked": 2, "parts": [1, 6, 7]},
        scored_answers() | {"booked": 3, "parts": None},
        scored_answers(3) | {"booked": None},
    ]
    for answers in sent:
        r = client.post(
            f"/api/v1/links/{token}/responses",
            json={"answers": answers, "client_id": uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.json
    refused = client.post(
        f"/api/v1/links/{token}/responses",
        json={"answers": scored_answers() | {"booked": 9}, "client_id": uuid.uuid4().hex},
    )
    assert refused.status_code == 422 and refused.json["error"]["code"] == "not_a_choice"
    packed = db.session.scalars(
        select(Response.answers).where(Response.campaign_id == made["id"]).order_by(Response.id)
    ).all()
    # 13 one-character answers, booked one, parts two (a bit set: options 1, 6, 7 = 0b1100001
    # = 97 = 3·32 + 1 → '1', '3'), the hidden follow-up one
    assert [len(p) for p in packed] == [17, 17, 17]
    assert packed[0][13:16] == "213" and packed[1][13:16] == "3--" and packed[2][13:16] == "---"
    campaign = db.session.get(Campaign, made["id"])
    table = exports.responses_table(campaign)
    header = list(table.header)
    assert "booked" in header and [h for h in header if h.startswith("parts.")] == [
        f"parts.{v}" for v in range(1, 8)
    ]
    assert table.value_labels["booked"] == {1: "电话", 2: "微信", 3: "门店"}
    assert table.labels["parts.6"] == "修了哪些部分？：部件6"
    page = next(iter(table.pages))
    assert page["booked"].fillna(-1).tolist() == [2, 3, -1]
    assert page["parts.1"].tolist()[:1] == [1] and page["parts.2"].tolist()[:1] == [0]
    assert page["parts.6"].isna().tolist() == [False, True, True]
    # the scores follow the scored questions only, as before
    scores = client.get(f"/api/v1/campaigns/{made['id']}/scores", headers=auth).json
    assert scores["n"]["online"] == 3
    # the dashboard's choice chart: each option's share of the responses answering it
    from surveyapp.services import scores as score_service
    from surveyapp.survey_math import choice_distribution

    frame = score_service.load_frame(campaign)
    dist = choice_distribution(frame, score_service.params_of(campaign)).set_index(
        ["question_id", "value"]
    )
    assert dist.loc["booked", "count"].tolist() == [0, 1, 1]
    assert dist.loc["booked", "answered"].tolist() == [2, 2, 2]
    assert dist.loc["parts", "count"].tolist() == [1, 0, 0, 0, 0, 1, 1]
    assert dist.loc["parts", "answered"].tolist() == [1] * 7


def test_the_dashboard_charts_the_choice_questions(app, client, make_user, login):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, _auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    body = {
        "answers": scored_answers() | {"booked": 2, "parts": [3]},
        "client_id": uuid.uuid4().hex,
    }
    assert client.post(f"/api/v1/links/{token}/responses", json=body).status_code == 201
    admin, _t = make_user("admin")
    login(admin.username)
    html = client.get(f"/campaigns/{made['id']}/dashboard").get_data(as_text=True)
    import json
    import re

    figure = re.search(
        r'<script type="application/json" id="fig-choices">(.*?)</script>', html, re.S
    )
    bars = json.loads(figure.group(1).replace("<\\/", "</"))["data"][0]
    assert "14. 您是怎么预约的：微信" in bars["y"]
    assert bars["x"][bars["y"].index("14. 您是怎么预约的：微信")] == 100.0


def test_review_words_name_the_options(app, client, make_user):
    from surveyapp.web.dashboard import answer_words

    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, _auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    r = client.post(
        f"/api/v1/links/{token}/responses",
        json={
            "answers": scored_answers() | {"booked": 1, "parts": [2, 7]},
            "client_id": uuid.uuid4().hex,
        },
    )
    assert r.status_code == 201
    campaign = db.session.get(Campaign, made["id"])
    rows = db.session.scalars(select(Response).where(Response.campaign_id == campaign.id)).all()
    with app.test_request_context("/"):
        words = dict(answer_words(campaign, rows)[rows[0].id])
    assert words["您是怎么预约的？"] == "电话"
    assert words["修了哪些部分？"] == "部件2、部件7"
    assert words["故障一次修好了吗？"] == "满意"


def test_display_logic_hides_drops_and_requires(app, client, make_user):
    """The follow-up is asked only after a poor fix: hidden, an answer sent for it is not
    kept; shown, it is kept as the comment; a required hidden question is not required."""

    def change(d):
        d[14][8] = "fix_right <= 2"  # `parts`, required, only after a poor fix
        d[14][5] = "yes"

    stored = questionnaires.import_xlsx(sheet(change), "logic")
    made, _auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    base = scored_answers() | {"booked": 1}

    def post(answers, comment=None):
        body = {"answers": answers, "client_id": uuid.uuid4().hex}
        return client.post(f"/api/v1/links/{token}/responses", json=body)

    good = post(base | {"why": "ignored", "parts": [1]})  # fix_right 4: both hidden
    assert good.status_code == 201, good.json
    poor = base | {"fix_right": 2}
    missing = post(poor)
    assert missing.status_code == 422 and missing.json["error"]["field"] == "parts"
    kept = post(poor | {"parts": [3], "why": "门没装好"})
    assert kept.status_code == 201, kept.json
    stored_rows = db.session.execute(
        select(Response.answers, Response.comment)
        .where(Response.campaign_id == made["id"])
        .order_by(Response.id)
    ).all()
    assert stored_rows[0].comment is None and stored_rows[0].answers[14:16] == "--"
    assert stored_rows[1].comment == "门没装好" and stored_rows[1].answers[14:16] == "40"


def test_the_customer_page_draws_and_reads_every_kind(app, client, make_user):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, _auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert 'type="checkbox" name="q_parts" value="7"' in page and "可多选" in page
    assert 'type="radio" name="q_booked" value="3"' in page and "门店" in page
    assert 'data-show-if="fix_right &lt;= 2"' in page
    assert "第 1 题的回答为 2 或以下" not in page and "第 1 题的回答为 2 或更低时回答本题" in page
    html = client.get(f"/s/{token}").get_data(as_text=True)
    csrf_free = {f"q_{k}": str(v) for k, v in scored_answers().items()}
    form = {
        **csrf_free,
        "q_booked": "2",
        "q_parts": ["2", "5"],
        "started": "",
        "client_id": uuid.uuid4().hex,
    }
    assert "q_parts" in html
    resp = client.post(f"/s/{token}", data=form)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    answers = db.session.scalars(
        select(Response.answers).where(Response.campaign_id == made["id"])
    ).one()
    # booked '2'; parts 2 and 5 = 0b10010 = 18 → 'I', then '0'
    assert answers[13:16] == "2I0"


def test_synth_answers_choice_questions_with_their_own_options(app, client, make_user):
    from surveyapp.services import synth
    from surveyapp.services.scores import questions_of
    from surveyapp.survey_math.packing import unpack_fields, widths_of

    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, _auth = campaign_with(client, make_user, stored.id)
    campaign = db.session.get(Campaign, made["id"])
    synth.fill(campaign, 400, seed=7)
    packed = db.session.scalars(
        select(Response.answers).where(Response.campaign_id == campaign.id)
    ).all()
    questions = questions_of(campaign)
    widths = widths_of(questions)
    assert len(packed) == 400 and {len(p) for p in packed} == {sum(widths)}
    booked = unpack_fields(packed, widths, 13)[:, 0]
    assert set(booked.tolist()) <= {1, 2, 3}
    parts = KINDS["multiple"].masks(unpack_fields(packed, widths, 14))
    assert (parts < 2**7).all() and (parts > 0).any() and (parts == -1).any()


def test_the_spss_export_carries_choices_as_codes_and_dichotomies(app, client, make_user):
    pyreadstat = pytest.importorskip("pyreadstat")
    import tempfile

    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    for answers in (
        scored_answers() | {"booked": 3, "parts": [2, 7]},
        scored_answers() | {"booked": 1, "parts": None},
    ):
        body = {"answers": answers, "client_id": uuid.uuid4().hex}
        assert client.post(f"/api/v1/links/{token}/responses", json=body).status_code == 201
    resp = client.get(f"/api/v1/campaigns/{made['id']}/export.sav", headers=auth)
    assert resp.status_code == 200
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        f.write(resp.data)
        f.flush()
        df, meta = pyreadstat.read_sav(f.name)
    assert df["booked"].tolist() == [3.0, 1.0]
    assert meta.variable_value_labels["booked"] == {1.0: "电话", 2.0: "微信", 3.0: "门店"}
    parts = [c for c in meta.column_names if c.startswith("parts") and c != "parts_ok"]
    assert len(parts) == 7
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    seventh = next(c for c in parts if labels[c].endswith("部件7"))
    assert df[seventh].tolist()[0] == 1.0 and df[seventh].isna().tolist() == [False, True]
    assert meta.variable_value_labels[seventh] == {0.0: "未选", 1.0: "选中"}


def test_synth_hides_follow_ups_as_a_submission_would(app, client, make_user):
    from surveyapp.services import synth
    from surveyapp.services.scores import questions_of
    from surveyapp.survey_math.packing import unpack_answers, unpack_fields, widths_of

    def change(d):
        d[14][8] = "booked = 2"  # parts asked only of those who booked by WeChat

    stored = questionnaires.import_xlsx(sheet(change), "logic")
    made, _auth = campaign_with(client, make_user, stored.id)
    campaign = db.session.get(Campaign, made["id"])
    synth.fill(campaign, 300, seed=11)
    packed = db.session.scalars(
        select(Response.answers).where(Response.campaign_id == campaign.id)
    ).all()
    widths = widths_of(questions_of(campaign))
    booked = unpack_answers(packed, widths)[:, 13]
    parts = KINDS["multiple"].masks(unpack_fields(packed, widths, 14))
    assert (parts[booked != 2] == -1).all() and (parts[booked == 2] >= 0).any()


def test_wide_answers_count_for_speeding_and_codes_above_ten_stay_in_their_column():
    """A multiple choice answered counts as an answer in the seconds-per-answer rule; a single
    choice coded 35 neither spills into the NPS counts nor breaks the distribution."""
    import pandas as pd

    from surveyapp.scoring.survey import Choice, Question, SurveyParams
    from surveyapp.survey_math import ResponseFrame, answer_distribution, quality_flags

    options = tuple(Choice(v, f"选项{v}", f"Option {v}") for v in (1, 12, 35))
    questions = (
        Question("a", "甲", "A", dimension="functionality"),
        Question("n", "荐", "N", kind="nps"),
        Question("s", "单", "S", kind="single", choices=options),
        Question("m", "多", "M", kind="multiple", choices=options[:2], width=3),
    )
    meta = pd.DataFrame({"id": [1, 2], "channel": ["online", "online"], "duration_s": [10.0, 10.0]})
    answers = np.array([[4, 7, 35, -1], [4, 7, 12, -1]], dtype=np.int8)
    wide = {3: np.array([0b1, -1], dtype=np.int64)}
    flags = quality_flags(ResponseFrame(meta, answers, questions, wide), speeding_median_fraction=0)
    # 3 s per answer: the first answered 4 questions (12 s > 10 s), the second 3 (9 s < 10 s)
    assert flags["speeding"].tolist() == [True, False]
    dist = answer_distribution(
        ResponseFrame(meta, answers, questions, wide), SurveyParams(), valid_only=False
    )
    nps = dist[dist["question_id"] == "n"].groupby("value")["count"].sum()
    assert nps[7] == 2 and nps.drop(7).sum() == 0
    assert set(dist["question_id"]) == {"a", "n"}


def test_the_form_refuses_odd_numbers_and_na_beside_options(app, client, make_user):
    stored = questionnaires.import_xlsx(sheet(), "kinds")
    made, _auth = campaign_with(client, make_user, stored.id)
    token = made["outlets"][0]["survey_url"].rsplit("/", 1)[1]
    base = {f"q_{k}": str(v) for k, v in scored_answers().items()} | {"q_booked": "1"}
    for odd in (
        {"q_fix_right": "--3"},
        {"q_fix_right": "9" * 5000},
        {"q_booked": "9" * 5000},
        {"q_parts": ["9" * 5000]},
        {"q_parts": ["na", "2"]},
    ):
        resp = client.post(f"/s/{token}", data=base | odd | {"client_id": uuid.uuid4().hex})
        assert resp.status_code == 422, (odd, resp.status_code)
    assert (
        db.session.scalars(select(Response.id).where(Response.campaign_id == made["id"])).all()
        == []
    )
    r = client.post(
        f"/campaigns/{made['id']}/questionnaire",
        data={"n": "9" * 5000, "action": "save"},
    )
    assert r.status_code in (302, 403, 422), r.status_code
