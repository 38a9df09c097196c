"""Display logic in the page script's two less travelled paths, in headless Chromium: the
interview form that resets for the next customer without a reload (offline, queued) hides the
previous customer's follow-up again, so it neither blocks the next interview nor is sent; and
paging skips a part whose only question is hidden."""

import pytest

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import accounts, questionnaires
from surveyapp.services import campaigns as campaign_service
from surveyapp.services import responses as response_service
from tests.helpers import signed_in_page
from tests.integration.test_question_kinds import sheet


def _required_follow_up(d):
    d[14][8] = "fix_right <= 2"  # `parts` (multiple choice) only after a poor repair…
    d[14][5] = "yes"  # …and then required


def _tap(page, qid, value):
    page.locator(f"#q-{qid} input[value='{value}'] + span").click()


def _answer_scored(page, questions, first):
    for q in questions:
        if q.kind == "likert":
            _tap(page, q.id, first if q.id == "fix_right" else "4")
        elif q.kind == "nps":
            _tap(page, q.id, "8")
    _tap(page, "booked", "1")


@pytest.mark.browser
def test_the_next_interview_starts_without_the_last_follow_up(live_app, live_server, launch):
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        auditor, _pw, _t = accounts.create_user("field.li", "auditor", "correct-horse")
        stored = questionnaires.import_xlsx(sheet(_required_follow_up), "logic")
        campaign = campaign_service.create_campaign(
            organization={"name": "家电维修公司", "operating_since": "2020-01-01"},
            scheme_id="cqm-2019",
            outlets=["维修一部"],
            auditors=[auditor],
            questionnaire=stored.id,
        )
        cid, oid = campaign.id, campaign.outlets[0].id
        questions = response_service.questionnaire_for(campaign).questions
    errors: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context, page = signed_in_page(
                browser,
                live_server,
                "field.li",
                errors,
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                locale="zh-CN",
            )
            page.goto(f"{live_server}/interview/{cid}/{oid}?view=all")
            context.set_offline(True)
            _answer_scored(page, questions, "2")
            assert page.locator("#q-parts").is_visible()
            _tap(page, "parts", "3")
            page.click("form#interview button[type=submit]")
            page.wait_for_selector("#queue:not([hidden])")
            # the next customer: a good repair, so no follow-up — hidden again, not required
            assert not page.locator("#q-parts").is_visible()
            _answer_scored(page, questions, "5")
            page.click("form#interview button[type=submit]")
            page.wait_for_selector("#queue-status:has-text('待发送 2 份')")
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_selector("#queue-status:has-text('已发送 2 份')", timeout=20000)
        finally:
            browser.close()
    assert not errors, errors
    with live_app.app_context():
        rows = db.session.scalars(
            db.select(Response).where(Response.campaign_id == cid).order_by(Response.id)
        ).all()
        assert [r.answers[0] for r in rows] == ["2", "5"]
        # parts: option 3 (bit 2 → '4', then '0') for the first, not asked of the second
        assert rows[0].answers[14:16] == "40" and rows[1].answers[14:16] == "--"


@pytest.mark.browser
def test_paging_skips_a_part_whose_questions_are_all_hidden(live_app, live_server, launch):
    from playwright.sync_api import sync_playwright

    def follow_up_between_parts(d):
        why = d.pop(15)  # the text follow-up, moved between functionality and economy
        d.insert(2, why)

    with live_app.app_context():
        stored = questionnaires.import_xlsx(sheet(follow_up_between_parts), "paged")
        campaign = campaign_service.create_campaign(
            organization={"name": "家电维修公司", "operating_since": "2020-01-01"},
            scheme_id="cqm-2019",
            outlets=["维修一部"],
            questionnaire=stored.id,
        )
        from surveyapp.services import campaigns as cs

        token = cs.outlet_link(campaign.outlets[0]).token
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
            page.goto(f"{live_server}/s/{token}")
            _tap(page, "fix_right", "5")
            _tap(page, "parts_ok", "4")
            page.locator("#pager .next").click()
            assert page.locator("#q-price_clear").is_visible()  # the hidden part was skipped
            page.locator("#pager .back").click()
            assert page.locator("#q-fix_right").is_visible()
            _tap(page, "fix_right", "1")
            page.locator("#pager .next").click()
            assert page.locator("#q-why").is_visible()  # now asked: its own screen
        finally:
            browser.close()
