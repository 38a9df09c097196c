"""The questionnaire page: read by readers; while the campaign is a draft, its admin or auditor
reorders, removes, adds and rewords questions, starts from a bank or a spreadsheet, and every
refusal is shown at its question and field with nothing stored; collection freezes it."""

from __future__ import annotations

import io

import flask_babel
from openpyxl import load_workbook

from surveyapp.db import db
from surveyapp.models import Campaign
from surveyapp.services import questionnaire_sheets as sheets
from surveyapp.services import responses as response_service
from tests import factories
from tests.integration.test_questionnaire_sheets import APPLIANCE, workbook


def form_of(campaign, **changes) -> dict:
    """The page's form for the campaign's questionnaire as it is, with changes ({field-i: v})."""
    rows = sheets.rows_of(response_service.questionnaire_for(campaign))
    data = {"n": str(len(rows))}
    for i, row in enumerate(rows):
        for c in ("id", "kind", "dimension", "text_zh", "text_en", "clause"):
            data[f"{c}-{i}"] = row[c]
        if row["required"] == "yes":
            data[f"required-{i}"] = "1"
    data.update(changes)
    return data


def ids_of(campaign_id: int) -> list[str]:
    db.session.expire_all()
    return [q["id"] for q in db.session.get(Campaign, campaign_id).questionnaire["questions"]]


def setup(make_user, login, status="draft"):
    admin, _token = make_user("admin")
    login(admin.username)
    campaign = factories.make_campaign(status=status)
    return campaign, ids_of(campaign.id)


def test_page_lists_the_questions_and_links_the_sheet_and_the_preview(client, make_user, login):
    campaign, ids = setup(make_user, login)
    page = client.get(f"/campaigns/{campaign.id}/questionnaire")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="q-row') == len(ids) and "保存问卷" in html
    assert f"/campaigns/{campaign.id}/questionnaire/preview" in html
    sheet = client.get(f"/campaigns/{campaign.id}/questionnaire.xlsx")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(sheet.data))["survey"]["A2"].value == ids[0]
    preview = client.get(f"/campaigns/{campaign.id}/questionnaire/preview")
    assert (
        preview.status_code == 200
        and "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    )
    assert "预览：不会提交" in preview.get_data(as_text=True)


def test_move_remove_add_change_nothing_until_saved(client, make_user, login):
    campaign, ids = setup(make_user, login)
    url = f"/campaigns/{campaign.id}/questionnaire"
    moved = client.post(url, data={**form_of(campaign), "action": "down-0"})
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200 and "修改尚未保存" in html
    assert html.index(f'value="{ids[1]}"') < html.index(f'value="{ids[0]}"')
    added = client.post(url, data={**form_of(campaign), "action": "add"})
    assert 'value="q1"' in added.get_data(as_text=True)
    assert ids_of(campaign.id) == ids  # nothing stored


def test_save_reorders_rewords_and_removes(client, make_user, login):
    campaign, ids = setup(make_user, login)
    data = form_of(campaign, **{"text_zh-0": "维修后商品能正常使用吗？"})
    # the first two questions swapped, the last (the comment) removed
    for c in ("id", "kind", "dimension", "text_zh", "text_en", "clause"):
        data[f"{c}-0"], data[f"{c}-1"] = data[f"{c}-1"], data[f"{c}-0"]
    data["n"] = str(len(ids) - 1)
    resp = client.post(f"/campaigns/{campaign.id}/questionnaire", data={**data, "action": "save"})
    assert resp.status_code == 303
    assert ids_of(campaign.id) == [ids[1], ids[0], *ids[2:-1]]
    q = db.session.get(Campaign, campaign.id).questionnaire["questions"]
    assert q[1]["text"]["zh"] == "维修后商品能正常使用吗？"


def test_a_refusal_is_shown_at_its_question_and_stores_nothing(client, make_user, login):
    campaign, ids = setup(make_user, login)
    url = f"/campaigns/{campaign.id}/questionnaire"
    bad = form_of(campaign, **{"dimension-2": "speed"})
    resp = client.post(url, data={**bad, "action": "save"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "第 3 题：未知维度 “speed”" in html and 'id="row-3"' in html
    assert ids_of(campaign.id) == ids
    dupe = form_of(campaign, **{"id-4": ids[0]})
    resp = client.post(url, data={**dupe, "action": "save"})
    assert resp.status_code == 422 and "重复" in resp.get_data(as_text=True)
    flask_babel.refresh()  # the tests share one app context, where the locale is cached
    english = client.post(url + "?lang=en", data={**bad, "action": "save"})
    flask_babel.refresh()
    assert "Question 3: unknown dimension &#39;speed&#39; (use functionality" in english.get_data(
        as_text=True
    )


def test_import_a_sheet_and_start_again_from_the_bank(client, make_user, login):
    campaign, ids = setup(make_user, login)
    url = f"/campaigns/{campaign.id}/questionnaire"
    resp = client.post(
        url + "/import",
        data={"sheet": (io.BytesIO(workbook(APPLIANCE)), "appliance.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    assert ids_of(campaign.id) == [r[0] for r in APPLIANCE]
    rows = [list(r) for r in APPLIANCE]
    rows[3][2] = "speed"
    bad = client.post(
        url + "/import",
        data={"sheet": (io.BytesIO(workbook(rows)), "bad.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "工作表 survey 第 5 行 dimension 列：未知维度" in bad.get_data(as_text=True)
    assert ids_of(campaign.id) == [r[0] for r in APPLIANCE]
    again = client.post(url + "/bank", data={"bank": "default"})
    assert again.status_code == 303 and ids_of(campaign.id) == ids


def test_collection_freezes_the_questionnaire(client, make_user, login):
    campaign, ids = setup(make_user, login, status="collecting")
    page = client.get(f"/campaigns/{campaign.id}/questionnaire").get_data(as_text=True)
    assert "保存问卷" not in page and "已在开始收集问卷时冻结" in page
    resp = client.post(
        f"/campaigns/{campaign.id}/questionnaire",
        data={**form_of(campaign, **{"text_zh-0": "改"}), "action": "save"},
    )
    assert resp.status_code == 409 and "只有草稿状态" in resp.get_data(as_text=True)
    assert ids_of(campaign.id) == ids
    assert db.session.get(Campaign, campaign.id).questionnaire["questions"][0]["text"]["zh"] != "改"


def test_a_redesign_keeps_the_campaigns_title_and_introduction(client, make_user, login):
    admin, _token = make_user("admin")
    login(admin.username)
    campaign = factories.make_campaign(status="draft", scheme="xh-2025")
    intro = db.session.get(Campaign, campaign.id).questionnaire["intro"]
    assert "完善度" in intro["zh"]  # the xh-2025 bank's own introduction
    resp = client.post(
        f"/campaigns/{campaign.id}/questionnaire",
        data={**form_of(campaign, **{"text_zh-0": "改写的第一题"}), "action": "save"},
    )
    assert resp.status_code == 303
    db.session.expire_all()
    after = db.session.get(Campaign, campaign.id).questionnaire
    assert after["intro"] == intro and after["questions"][0]["text"]["zh"] == "改写的第一题"


def test_choice_questions_and_display_logic_on_the_page(client, make_user, login):
    """A single choice with its options typed one a line, and a follow-up shown after a poor
    answer to the first question; a malformed option line or condition is refused at its field."""
    campaign, ids = setup(make_user, login)
    url = f"/campaigns/{campaign.id}/questionnaire"
    n = len(ids)
    added = {
        "n": str(n + 2),
        f"id-{n}": "booked",
        f"kind-{n}": "single",
        f"text_zh-{n}": "您是怎么预约的？",
        f"text_en-{n}": "How did you book?",
        f"required-{n}": "1",
        f"options-{n}": "1 电话 / Phone\n2 微信 / WeChat\n\n3 门店 / In store",
        f"id-{n + 1}": "why",
        f"kind-{n + 1}": "multiple",
        f"text_zh-{n + 1}": "哪些方面不满意？",
        f"text_en-{n + 1}": "What fell short?",
        f"options-{n + 1}": "1 速度 / Speed\n2 价格 / Price",
        f"show_if-{n + 1}": f"{ids[0]} <= 2",
    }
    bad_line = form_of(campaign, **{**added, f"options-{n}": "1 电话 Phone"})
    resp = client.post(url, data={**bad_line, "action": "save"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and f"第 {n + 1} 题：选项第 1 行应写成" in html
    bad_rule = form_of(campaign, **{**added, f"show_if-{n + 1}": "booked has 1"})
    resp = client.post(url, data={**bad_rule, "action": "save"})
    assert resp.status_code == 422 and "多选题用 has" in resp.get_data(as_text=True)
    assert ids_of(campaign.id) == ids  # nothing stored
    resp = client.post(url, data={**form_of(campaign, **added), "action": "save"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    q = db.session.get(Campaign, campaign.id).questionnaire["questions"]
    assert q[n]["choices"][2] == {"value": 3, "zh": "门店", "en": "In store"}
    assert q[n + 1]["kind"] == "multiple" and q[n + 1]["show_if"] == f"{ids[0]} <= 2"
    page = client.get(url).get_data(as_text=True)
    assert "2 微信 / WeChat" in page and f'value="{ids[0]} &lt;= 2"' in page
