"""Choice questions and display logic in a real browser: on a 360 px phone a follow-up appears
only after a poor answer and goes again when the answer changes, 不适用 in a multiple choice
stands alone, one POST stores exactly what was shown; at desktop size in English the options
read in English; without JavaScript every question is on the page with when to answer it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import questionnaires
from surveyapp.services import responses as response_service
from tests.integration.test_question_kinds import sheet

SHOTS = "/tmp/question-kinds-{}.png"


def _campaign(app):
    with app.app_context():
        stored = questionnaires.import_xlsx(sheet(), "kinds")
        campaign = campaign_service.create_campaign(
            organization={"name": "家电维修公司", "operating_since": "2020-01-01"},
            scheme_id="cqm-2019",
            outlets=["维修一部"],
            questionnaire=stored.id,
        )
        token = campaign_service.outlet_link(campaign.outlets[0]).token
        questions = response_service.questionnaire_for(campaign).questions
        return campaign.id, token, questions


def _tick(page, qid, value):
    page.locator(f"#q-{qid} input[value='{value}'] + span").click()


@pytest.mark.browser
def test_choices_and_a_follow_up_on_a_phone(live_app, live_server, launch):  # noqa: PLR0915 (one browser walk-through, read as a script)
    from playwright.sync_api import sync_playwright

    campaign_id, token, questions = _campaign(live_app)
    scored = [q for q in questions if q.kind in ("likert", "nps")]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            phone = browser.new_context(
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            ).new_page()
            errors: list[str] = []
            phone.on("pageerror", lambda e: errors.append(str(e)))
            phone.goto(f"{live_server}/s/{token}?view=all")
            why = phone.locator("#q-why")
            assert not why.is_visible()
            assert not phone.locator("#q-why .hint.cond").is_visible()
            for q in scored:
                _tick(phone, q.id, "8" if q.kind == "nps" else "4")
            assert not why.is_visible()
            _tick(phone, "fix_right", "2")
            assert why.is_visible()
            _tick(phone, "fix_right", "5")
            assert not why.is_visible()
            _tick(phone, "fix_right", "2")
            _tick(phone, "booked", "2")
            _tick(phone, "parts", "1")
            _tick(phone, "parts", "3")
            _tick(phone, "parts", "na")  # 不适用 clears the options …
            assert not phone.locator("#q-parts input[value='1']").is_checked()
            _tick(phone, "parts", "3")  # … and an option clears 不适用
            assert not phone.locator("#q-parts input[value='na']").is_checked()
            why.locator("textarea").fill("门没装好")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
            phone.locator("#q-booked").scroll_into_view_if_needed()
            phone.screenshot(path=SHOTS.format("phone-zh"), full_page=True)
            phone.locator("button.send").click()
            phone.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
            assert not errors, errors

            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
            page = desk.new_page()
            page.goto(f"{live_server}/s/{token}?lang=en&view=all")
            assert page.locator("#q-booked").inner_text().count("WeChat") == 1
            assert "Choose all that apply" in page.locator("#q-parts").inner_text()
            page.locator("#q-booked").scroll_into_view_if_needed()
            page.screenshot(path=SHOTS.format("desktop-en"), full_page=True)

            plain = browser.new_context(
                viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="zh-CN"
            ).new_page()
            plain.goto(f"{live_server}/s/{token}")
            assert plain.locator("#q-why").is_visible()
            assert (
                plain.locator("#q-why .hint.cond").inner_text()
                == "第 1 题的回答为 2 或更低时回答本题"
            )
            for q in scored:
                _tick(plain, q.id, "8" if q.kind == "nps" else "5")
            _tick(plain, "booked", "1")
            plain.locator("#q-why textarea").fill("不该保存")  # fix_right 5: not asked, not kept
            plain.locator("#q-why").scroll_into_view_if_needed()
            plain.screenshot(path=SHOTS.format("phone-zh-nojs"), full_page=True)
            plain.locator("button.send").click()
            plain.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
        finally:
            browser.close()
    with live_app.app_context():
        rows = db.session.scalars(
            select(Response).where(Response.campaign_id == campaign_id).order_by(Response.id)
        ).all()
        assert len(rows) == 2
        # fix_right 2, eleven 4s, NPS 8; booked 2; parts option 3 (bit 2 = 4, then 0); why '-'
        assert rows[0].answers == "2" + "4" * 11 + "8" + "2" + "40" + "-"
        assert rows[0].comment == "门没装好"
        assert rows[1].answers == "5" * 12 + "8" + "1" + "--" + "-"
        assert rows[1].comment is None
