"""An auditor fills an ICAS checklist (51 items) over a day, in headless Chromium: 12 items,
a reload (nothing lost), a dropped network (kept on the device, sent when it returns), the
rest, then 定稿 — the campaign is finalized and the report says 已定稿."""

import pytest

from surveyapp.db import db
from surveyapp.models import Campaign, Evaluation
from surveyapp.services import accounts, evaluations
from tests import factories
from tests.helpers import signed_in_page


def _fill(page, item, value):
    field = page.locator(f"[name='score-{item.id}-0']")
    if item.mode == "options":
        field.select_option(f"{max(item.options):g}")
    else:
        field.fill(value)


def _until_sent(page, timeout_s: float = 15) -> None:
    """Wait until no change waits on the device (polled: the page's CSP forbids eval)."""
    for _ in range(int(timeout_s * 10)):
        if page.evaluate("Object.keys(localStorage).length") == 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("changes still waiting on the device")


@pytest.mark.browser
def test_checklist_saves_itself_and_finalizes(live_app, live_server, launch):  # noqa: PLR0915 (one walk-through, read as a script)
    from playwright.sync_api import sync_playwright

    with live_app.app_context():
        auditor, _pw, _t = accounts.create_user("tablet.li", "auditor", "correct-horse")
        campaign = factories.make_campaign(scheme="icas-27922", auditors=[auditor])
        campaign_id = campaign.id
        items = [i for i in evaluations.scheme_of(campaign).items if i.required]
        items = [(i.id, i.mode, tuple(i.options), i.points) for i in items]
    assert len(items) >= 50

    class It:
        def __init__(self, t):
            self.id, self.mode, self.options, self.points = t

    items = [It(t) for t in items]
    url = f"{live_server}/campaigns/{campaign_id}/evaluation"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context, page = signed_in_page(
                browser,
                live_server,
                "tablet.li",
                errors,
                viewport={"width": 800, "height": 1200},
                has_touch=True,
                locale="zh-CN",
            )
            page.goto(url)
            for item in items[:12]:
                _fill(page, item, f"{item.points:g}")
            page.wait_for_selector("#autosave.ok", timeout=10000)
            _until_sent(page)
            page.reload()
            for item in items[:12]:
                field = page.locator(f"[name='score-{item.id}-0']")
                assert field.input_value() != "", f"{item.id} lost after reload"
            assert "还差 38 项" in page.inner_text("#missing-title")
            # one tap reaches a missing item
            page.click(f"#missing-list a[href='#item-{items[12].id}']")
            assert page.evaluate("location.hash") == f"#item-{items[12].id}"
            # the network drops: what is typed waits on the device…
            context.set_offline(True)
            _fill(page, items[12], f"{items[12].points:g}")
            page.wait_for_selector("#autosave.warn", timeout=10000)
            assert page.evaluate("Object.keys(localStorage).length") == 1
            # …and the tablet is closed before the network returns: the next visit sends it
            page.close()
            context.set_offline(False)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("#autosave.ok", timeout=10000)
            assert page.evaluate("Object.keys(localStorage).length") == 0
            assert page.locator(f"[name='score-{items[12].id}-0']").input_value() != ""
            for item in items[13:]:
                _fill(page, item, f"{item.points:g}")
            page.wait_for_selector("#missing-title:has-text('已全部填完')", timeout=15000)
            _until_sent(page)
            page.screenshot(path="/tmp/checklist-tablet.png", full_page=False)
            page.reload()
            assert page.locator(".result .level").inner_text().strip() != ""
            page.check("input[name=confirm]")
            page.click("form[action$='/finalize'] button[type=submit]")
            page.wait_for_url("**/report")
            assert "已定稿" in page.inner_text("body")
        finally:
            browser.close()
    assert not errors, errors
    with live_app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "finalized"
        ev = db.session.scalars(db.select(Evaluation)).one()
        assert ev.status == "finalized" and len(ev.input["scores"]) >= 50
