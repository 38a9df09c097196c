"""One customer counts once, never silently (issue 12), on a 360 px phone in headless Chromium:
answer, submit, press Back, submit again → one response; a second phone on a used single-use
code is told the truth, and its answers are kept as a flagged second use."""

import pytest
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import responses as response_service
from surveyapp.services import scores
from tests import factories

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def _fill_and_send(page, questions):
    """Tap an answer to every question (radios sit behind their big labels), page by page
    (one part of the questionnaire per screen), then send."""
    back, forward = page.locator("#pager .back"), page.locator("#pager .next")
    while back.is_visible():  # a page come back to (browser Back) may open on a later screen
        back.click()
    for q in questions:
        while not page.locator(f"#q-{q.id}").is_visible():
            forward.click()
        if q.kind == "text":
            page.locator(f"#q-{q.id} textarea").fill("上门及时")
        else:
            value = "9" if q.kind == "nps" else "4"
            page.locator(f"#q-{q.id} input[value='{value}'] + span").click()
    page.locator("button.send").click()


@pytest.mark.browser
def test_back_and_resubmit_counts_once_and_a_second_phone_is_told(live_app, live_server, launch):
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        campaign = factories.make_campaign()
        outlet_token = factories.outlet_token(campaign)
        _batch, links = campaign_service.issue_single_use(campaign.outlets[0], 1)
        code = links[0].token
        questions = response_service.questionnaire_for(campaign).questions
        campaign_id = campaign.id

    with sync_playwright() as p:
        browser = launch(p)
        try:
            # the outlet's poster link: answer, submit, Back, submit again
            phone = browser.new_context(locale="zh-CN", **PHONE).new_page()
            phone.goto(f"{live_server}/s/{outlet_token}")
            _fill_and_send(phone, questions)
            phone.wait_for_url(f"**/s/{outlet_token}/thanks", timeout=20000)
            receipt = phone.locator("[data-receipt]").inner_text()
            phone.go_back()
            phone.wait_for_load_state()
            assert phone.locator("button.send").count() == 1  # the form again
            while phone.locator("#pager .next").is_visible():  # its answers kept, page by page
                phone.locator("#pager .next").click()
            phone.locator("button.send").click()
            phone.wait_for_url(f"**/s/{outlet_token}/thanks", timeout=20000)
            assert phone.locator("[data-receipt]").inner_text() == receipt  # the same response

            # a single-use code: the first phone answers, Back shows its thanks again
            first = browser.new_context(locale="zh-CN", **PHONE).new_page()
            first.goto(f"{live_server}/s/{code}")
            second = browser.new_context(locale="zh-CN", **PHONE).new_page()
            second.goto(f"{live_server}/s/{code}")  # opened before the first one sends
            _fill_and_send(first, questions)
            first.wait_for_url(f"**/s/{code}/thanks", timeout=20000)
            first.goto(f"{live_server}/s/{code}")
            assert "感谢您的评价" in first.locator("h1").inner_text()
            # the second phone sends later: kept, flagged, and told the truth
            _fill_and_send(second, questions)
            second.wait_for_url(f"**/s/{code}/thanks*", timeout=20000)
            told = second.locator("main").inner_text()
            assert "此问卷码此前已有人提交过" in told and "您的回答已保存" in told
            assert second.evaluate("document.documentElement.scrollWidth") <= 360
            second.screenshot(path="/tmp/survey-second-phone.png")
            # a third phone opening the used code later is told it was used, not shown a form
            third = browser.new_context(locale="zh-CN", **PHONE).new_page()
            third.goto(f"{live_server}/s/{code}")
            assert third.locator("h1").inner_text() == "此问卷已提交"
        finally:
            browser.close()

    with live_app.app_context():
        rows = db.session.scalars(
            select(Response).where(Response.campaign_id == campaign_id).order_by(Response.id)
        ).all()
        assert len(rows) == 3  # the poster phone once, the code's two phones
        scores.clear_cache()
        flags = scores.flags(db.session.get(type(campaign), campaign_id))
        assert [bool(flags.loc[r.id, "duplicate"]) for r in rows] == [False, False, True]
