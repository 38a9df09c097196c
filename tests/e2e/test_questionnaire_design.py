"""An admin designs a draft campaign's questionnaire on its page at desktop size — rewords a
question, removes the comment, adds a question — sees it in the 360 px preview, starts
collection, and a customer answers it one part per screen on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import Campaign, Response
from surveyapp.services import accounts
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import responses as response_service
from tests import factories

SHOT = "/tmp/questionnaire-design.png"


@pytest.mark.browser
def test_design_preview_and_answer_paged(live_app, live_server, launch):  # noqa: PLR0915 (one browser walk-through, read as a script)
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        accounts.create_user("designer", "admin", "correct-horse")
        campaign = factories.make_campaign(status="draft")
        campaign_id = campaign.id
        before = [q.id for q in response_service.questionnaire_for(campaign).questions]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN"
            ).new_page()
            page.goto(f"{live_server}/login")
            page.fill("#username", "designer")
            page.fill("#password", "correct-horse")
            page.click("button.primary")
            page.goto(f"{live_server}/campaigns/{campaign_id}/questionnaire")
            page.fill("#text_zh-0", "维修后商品能正常使用吗？")
            last = len(before)
            page.click(f"#row-{last} button[value='del-{last - 1}']")
            assert page.locator(".notice").inner_text() == "修改尚未保存。"
            assert page.locator("#text_zh-0").input_value() == "维修后商品能正常使用吗？"
            page.click("button[value=add]")
            new = last - 1  # the added row's index: the comment went, the new one came
            assert page.locator(f"#id-{new}").input_value() == "q1"
            page.fill(f"#text_zh-{new}", "师傅上门前电话确认了吗？")
            page.fill(f"#text_en-{new}", "Did the technician call before coming?")
            page.select_option(f"#dimension-{new}", "timeliness")
            page.click("button[value=save]")
            assert "问卷已保存" in page.locator("body").inner_text()
            page.screenshot(path=SHOT, full_page=False)
            # the preview beside it shows the saved questionnaire as a phone does
            frame = page.frame_locator("iframe")
            # (the new question sits after 总体评价 in a part of its own: 8 screens)
            # the pager's words are the page script's: wait for them (they are not in the HTML)
            expect(frame.locator("#pager .where")).to_have_text("第 1/8 页")
            assert "维修后商品能正常使用吗？" in frame.locator("#q-fun1 legend").inner_text()
            width = page.eval_on_selector("iframe", "f => f.getBoundingClientRect().width")
            assert width == 360
        except BaseException:
            browser.close()
            raise
        with live_app.app_context():
            c = db.session.get(Campaign, campaign_id)
            ids = [q["id"] for q in c.questionnaire["questions"]]
            assert ids == [*before[:-1], "q1"]
            campaign_service.change_status(c, "collecting")
            token = factories.outlet_token(c)
            questions = response_service.questionnaire_for(c).questions
        try:
            phone = browser.new_context(
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            ).new_page()
            phone.goto(f"{live_server}/s/{token}")
            for q in questions:
                while not phone.locator(f"#q-{q.id}").is_visible():
                    phone.locator("#pager .next").click()
                value = "9" if q.kind == "nps" else "4"
                phone.locator(f"#q-{q.id} input[value='{value}'] + span").click()
            phone.locator("button.send").click()
            phone.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
        finally:
            browser.close()
    with live_app.app_context():
        [row] = db.session.scalars(
            select(Response).where(Response.campaign_id == campaign_id)
        ).all()
        assert len(row.answers) == len(ids)
