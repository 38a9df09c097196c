"""A customer answers on a 360×740 phone in headless Chromium: reload halfway, flaky submit, thanks."""

import pytest
from sqlalchemy import select

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import responses as response_service
from tests import factories

SCREENSHOT = "/tmp/survey-phone.png"


def answer(page, question, value):
    """Tap the option of a question (radios are visually hidden behind their big labels)."""
    if question.kind == "text":
        page.locator(f"#q-{question.id} textarea").fill(value)
    else:
        page.locator(f"#q-{question.id} input[value='{value}'] + span").click()


@pytest.mark.browser
def test_phone_survey_end_to_end(live_app, live_server, launch):  # noqa: PLR0915 (one browser walk-through, read as a script)
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        campaign = factories.make_campaign()
        token = factories.outlet_token(campaign)
        questions = response_service.questionnaire_for(campaign).questions
        campaign_id = campaign.id
    plan = {}
    for i, q in enumerate(questions):
        plan[q.id] = {"likert": str(5 - i % 3), "nps": "9", "text": "上门很准时，谢谢！"}[q.kind]
    plan["com3"] = "na"
    url = f"{live_server}/s/{token}?view=all"  # every question on one page (paging: test_survey_paged)
    problems: list[str] = []
    attempts = {"n": 0}

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            )
            page = context.new_page()
            # script errors and failed requests (the browser's own favicon probe aside)
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: (
                    problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico")
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url)
            assert page.locator("h1").inner_text() == "售后服务顾客感知调查"
            assert (
                page.evaluate("document.documentElement.scrollWidth") <= 360
            )  # no sideways scroll
            half = len(questions) // 2
            for q in questions[:half]:
                answer(page, q, plan[q.id])
            client_id = page.locator("input[name=client_id]").input_value()
            assert page.locator("#prog .txt").inner_text() == f"已答 {half}/20 题"

            page.reload()  # a dropped connection, a reload: nothing is lost
            for q in questions[:half]:
                assert page.locator(f"#q-{q.id} input[value='{plan[q.id]}']").is_checked(), q.id
            assert page.locator("input[name=client_id]").input_value() == client_id
            assert page.locator("#prog .txt").inner_text() == f"已答 {half}/20 题"
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=SCREENSHOT)

            # submitting too early shows the Chinese error next to the first unanswered question
            page.locator("button.send").click()
            first_missing = questions[half]
            err = page.locator(f"#e-{first_missing.id}")
            assert err.is_visible() and "不适用" in err.inner_text()

            for q in questions[half:]:
                answer(page, q, plan[q.id])
            assert page.locator("#prog .txt").inner_text() == "已答 20/20 题"
            assert not err.is_visible()

            def flaky(route):  # the first submit is lost on the network; the retry goes through
                attempts["n"] += 1
                if attempts["n"] == 1:
                    route.abort("connectionreset")
                else:
                    route.continue_()

            # the notice says who keeps the contact, why and how long, before the field
            hint = page.locator("#q-contact .hint").inner_text()
            assert "加密保存" in hint and "365 天后删除" in hint
            page.locator("#q-contact input[name=contact_consent] + span").click()
            page.locator("#q-contact input[name=contact]").fill("13812345678")
            page.locator("#q-contact input[name=contact_share] + span").click()
            page.route("**/api/v1/links/*/responses", flaky)
            page.locator("button.send").click()
            page.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
            assert "感谢您的评价" in page.locator("h1").inner_text()
            assert page.evaluate(f"localStorage.getItem('survey:{token}')") is None
            receipt = page.locator("[data-receipt]").inner_text()
            assert len(receipt) == 11 and receipt[5] == "-"
            page.screenshot(path="/tmp/survey-thanks.png", full_page=True)

            # later, the customer withdraws: the privacy page, the code, one tap
            page.locator("a[href='/privacy']").click()
            page.locator("#receipt").fill(receipt.lower())
            page.locator("input[name=what][value=all] + span").click()
            page.locator("button.send").click()
            assert "删除了您的联系方式和留言" in page.locator(".notice").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        finally:
            browser.close()

    assert attempts["n"] == 2
    assert problems == []
    with live_app.app_context():
        rows = db.session.scalars(select(Response).where(Response.campaign_id == campaign_id)).all()
        assert len(rows) == 1
        r = rows[0]
        assert r.client_id == client_id and r.channel == "online"
        expected = "".join(
            "-" if q.kind == "text" or plan[q.id] == "na" else "0123456789A"[int(plan[q.id])]
            for q in questions
        )
        assert r.answers == expected
        assert r.comment is None and r.contact_encrypted is None  # deleted at the customer's word
        assert not r.contact_consent and not r.contact_share
        assert r.started_at is not None and r.duration_s > 0


@pytest.mark.browser
def test_mostly_not_applicable_is_asked_once_then_stored(live_app, live_server, launch):
    """At 360 px: 不适用 almost everywhere → one question (dismiss keeps the page), then stored."""
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        campaign = factories.make_campaign()
        token = factories.outlet_token(campaign)
        questions = response_service.questionnaire_for(campaign).questions
        campaign_id = campaign.id
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(
                viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN"
            ).new_page()
            page.goto(f"{live_server}/s/{token}?view=all")
            for i, q in enumerate(questions):
                if q.kind != "text":
                    answer(
                        page, q, "4" if q.scored and i < 2 else ("9" if q.kind == "nps" else "na")
                    )

            def dismiss(dialog):
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.once("dialog", dismiss)
            page.locator("button.send").click()
            page.wait_for_timeout(300)
            assert page.url.endswith(f"/s/{token}?view=all")  # nothing sent
            page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
            page.locator("button.send").click()
            page.wait_for_url(f"**/s/{token}/thanks", timeout=20000)
        finally:
            browser.close()
    assert len(dialogs) == 2 and "您只回答了 2 道评价题（共 18 道）" in dialogs[0]
    with live_app.app_context():
        rows = db.session.scalars(select(Response).where(Response.campaign_id == campaign_id)).all()
        assert len(rows) == 1
