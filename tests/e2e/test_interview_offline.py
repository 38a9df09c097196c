"""Interviews without signal, in headless Chromium on a phone: two interviews finished while
the network is cut wait in the device's queue (the auditor sees them), go out when it returns,
and each arrives once — even when the first answer to a send is lost on the way back."""

import pytest

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import accounts
from surveyapp.services import responses as response_service
from tests import factories
from tests.helpers import signed_in_page


def _answer_all(page, questions, value):
    for q in questions:
        if q.kind == "text":
            page.locator(f"#q-{q.id} textarea").fill("顾客说：师傅很耐心。")
        else:
            pick = value if q.kind == "likert" else "8"
            page.locator(f"#q-{q.id} input[value='{pick}'] + span").click()


@pytest.mark.browser
def test_two_offline_interviews_arrive_once(live_app, live_server, launch):
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        auditor, _pw, _t = accounts.create_user("field.wang", "auditor", "correct-horse")
        campaign = factories.make_campaign(auditors=[auditor])
        cid, oid = campaign.id, campaign.outlets[0].id
        questions = response_service.questionnaire_for(campaign).questions
    errors: list[str] = []
    lost = {"n": 0}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context, page = signed_in_page(
                browser,
                live_server,
                "field.wang",
                errors,
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            )
            page.goto(f"{live_server}/interview/{cid}/{oid}")
            context.set_offline(True)
            for value in ("5", "4"):
                _answer_all(page, questions, value)
                page.click("form#interview button[type=submit]")
                page.wait_for_selector("#queue:not([hidden])")
            page.wait_for_selector("#queue-status:has-text('待发送 2 份')")
            assert page.locator("#queue-list li").count() == 2
            page.screenshot(path="/tmp/interview-queue.png", full_page=False)

            # the network returns; the first answer to a send is lost on its way back
            def lose_first_answer(route):
                if lost["n"] == 0:
                    lost["n"] += 1
                    route.fetch()  # the server stores it…
                    route.abort()  # …and the phone never hears so
                else:
                    route.continue_()

            page.route("**/queued", lose_first_answer)
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_selector("#queue-status:has-text('已发送 2 份')", timeout=20000)
            assert page.locator("#queue-list li").count() == 0
        finally:
            browser.close()
    assert not errors, errors
    assert lost["n"] == 1
    with live_app.app_context():
        rows = db.session.scalars(db.select(Response).where(Response.campaign_id == cid)).all()
        assert len(rows) == 2  # the resend after the lost answer stored nothing new
        assert {r.channel for r in rows} == {"in_person"}
        assert len({r.client_id for r in rows}) == 2
        assert sorted(r.answers[0] for r in rows) == ["4", "5"]
        assert all(r.duration_s is not None for r in rows)  # timed from the device's clock
