"""A questionnaire designed in a spreadsheet (14 questions, the appliance-repair example),
answered one part per screen on a 360 px phone and at desktop size, in Chinese and English:
Next refuses a page with an unanswered question, Back keeps the answers, one POST at the end;
without JavaScript every question is on one page and the form still submits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import questionnaires
from surveyapp.services import responses as response_service

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "questionnaire-example.xlsx"
SHOTS = "/tmp/survey-paged-{}.png"


def _campaign(app):
    with app.app_context():
        stored = questionnaires.import_xlsx(EXAMPLE.read_bytes(), "appliance")
        campaign = campaign_service.create_campaign(
            organization={"name": "家电维修公司", "operating_since": "2020-01-01"},
            scheme_id="cqm-2019",
            outlets=["维修一部"],
            questionnaire=stored.id,
        )
        token = campaign_service.outlet_link(campaign.outlets[0]).token
        questions = response_service.questionnaire_for(campaign).questions
        return campaign.id, token, questions


def _tap(page, q, value):
    if q.kind == "text":
        page.locator(f"#q-{q.id} textarea").fill(value)
    else:
        page.locator(f"#q-{q.id} input[value='{value}'] + span").click()


def _visible_questions(page) -> list[str]:
    return page.eval_on_selector_all(
        "fieldset[data-q]", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.q)"
    )


@pytest.mark.browser
def test_paged_survey_on_a_phone_and_a_desktop(live_app, live_server, launch):  # noqa: PLR0915 (one browser walk-through, read as a script)
    from playwright.sync_api import sync_playwright

    campaign_id, token, questions = _campaign(live_app)
    values = {q.id: {"likert": "4", "nps": "8", "text": "师傅很专业"}[q.kind] for q in questions}
    values["fix_right"] = "5"
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
            phone.goto(f"{live_server}/s/{token}")
            where = phone.locator("#pager .where")
            assert where.inner_text() == "第 1/7 页"
            assert _visible_questions(phone) == ["fix_right", "parts_ok"]
            assert not phone.locator("button.send").is_visible()
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
            phone.screenshot(path=SHOTS.format("phone-zh-1"), full_page=True)
            # Next with a question unanswered: the page stays, the question says why
            _tap(phone, questions[0], values["fix_right"])
            phone.locator("#pager .next").click()
            assert where.inner_text() == "第 1/7 页"
            assert phone.locator("#e-parts_ok").is_visible()
            _tap(phone, questions[1], values["parts_ok"])
            phone.locator("#pager .next").click()
            assert where.inner_text() == "第 2/7 页"
            # Back keeps what was answered
            phone.locator("#pager .back").click()
            assert phone.locator("#q-fix_right input[value='5']").is_checked()
            phone.locator("#pager .next").click()
            for q in questions[2:]:
                while not phone.locator(f"#q-{q.id}").is_visible():
                    phone.locator("#pager .next").click()
                _tap(phone, q, values[q.id])
            assert where.inner_text() == "第 7/7 页"
            assert phone.locator("#q-contact").is_visible()
            assert phone.locator("#prog .txt").inner_text() == "已答 13/13 题"
            phone.screenshot(path=SHOTS.format("phone-zh-7"), full_page=True)
            phone.locator("button.send").click()
            phone.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
            assert not errors, errors

            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
            page = desk.new_page()
            page.goto(f"{live_server}/s/{token}?lang=en")
            assert page.locator("#pager .where").inner_text() == "Page 1 of 7"
            assert page.locator("#view-switch a").inner_text() == "Show all questions on one page"
            page.screenshot(path=SHOTS.format("desktop-en-1"), full_page=True)
            page.locator("#view-switch a").click()
            assert len(_visible_questions(page)) == len(questions)
            assert not page.locator("#pager").is_visible()
            assert page.locator("#view-switch a").inner_text() == "One part per screen"

            # without JavaScript: one page, one plain POST
            plain = browser.new_context(
                viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="zh-CN"
            ).new_page()
            plain.goto(f"{live_server}/s/{token}")
            assert len(_visible_questions(plain)) == len(questions)
            assert not plain.locator("#pager").is_visible()
            for q in questions:
                _tap(plain, q, values[q.id])
            plain.locator("button.send").click()
            plain.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
        finally:
            browser.close()
    with live_app.app_context():
        rows = db.session.scalars(
            select(Response).where(Response.campaign_id == campaign_id).order_by(Response.id)
        ).all()
        assert len(rows) == 2
        assert rows[0].answers == rows[1].answers == "5" + "4" * 11 + "8-"
        assert rows[0].comment == rows[1].comment == "师傅很专业"
