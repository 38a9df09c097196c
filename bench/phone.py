"""The manager's dashboard on a phone (issue 14): headless Chromium at 360 px behind DevTools'
fast-3G profile (562.5 ms latency, 180 KB/s down, 84 KB/s up, as Puppeteer defines it), against
the server as `make run` starts it: the first chart on screen, every chart drawn, bytes sent.

Baseline, measured in the same run behind the same profile: one bare page (/healthz), the
floor any page pays; the ratio says how many such floors the dashboard costs.
"""

from __future__ import annotations

import time
from pathlib import Path

from .common import Client, Database, Section, Server, Skipped

CHROMIUM = "/usr/bin/chromium"
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
FIRST_CHART_LIMIT_S = 3.0
BYTES_LIMIT = 1_000_000
RUNS = 3


def _load(page, cdp, url: str, selector: str) -> tuple[float, float, float]:
    """(seconds to `selector` visible, seconds to every plotly chart drawn, bytes received)."""
    sizes: dict[str, float] = {}
    listener = lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"])  # noqa: E731
    cdp.on("Network.loadingFinished", listener)
    t = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, state="visible", timeout=120_000)
    first = time.perf_counter() - t
    charts = page.locator(".chart")
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=120_000)
    every = time.perf_counter() - t
    page.wait_for_load_state("networkidle")
    cdp.remove_listener("Network.loadingFinished", listener)
    return first, every, sum(sizes.values())


def run(db: Database, campaign_id: int, login: tuple[str, str]) -> Section:
    """Median of RUNS cold loads (cache disabled) of the dashboard and of the bare page."""
    if not Path(CHROMIUM).exists():
        raise Skipped(f"headless Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    section = Section("phone", db.backend)
    with Server("bench.wsgi:app", db.env()) as server, sync_playwright() as p:
        client = Client(server.base)
        if not client.login(*login):
            raise RuntimeError("could not sign in for the phone dashboard")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
                locale="zh-CN",
            )
            page = context.new_page()
            page.goto(server.base + "/login")
            page.fill("#username", login[0])
            page.fill("#password", login[1])
            page.click("main button[type=submit]")
            page.wait_for_load_state("networkidle")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", FAST_3G)
            url = f"{server.base}/campaigns/{campaign_id}/dashboard"
            runs = sorted(_load(page, cdp, url, "svg.svg-chart") for _ in range(RUNS))
            bare = sorted(
                _load(page, cdp, server.base + "/healthz", "body")[0] for _ in range(RUNS)
            )
        finally:
            browser.close()
    first, every, sent = runs[len(runs) // 2]
    floor = bare[len(bare) // 2]
    section.add(
        "first_chart_fast3g",
        first,
        "s",
        op="<=",
        limit=FIRST_CHART_LIMIT_S,
        note=f"{first / floor:.1f}× a bare page ({floor:.2f} s)",
    )
    section.add("all_charts_fast3g", every, "s", note=f"{every / floor:.1f}× a bare page")
    section.add("bare_page_fast3g", floor, "s", note="baseline: /healthz, same profile")
    section.add(
        "bytes_on_wire",
        sent / 1000,
        "kB",
        op="<=",
        limit=BYTES_LIMIT / 1000,
        note="page, styles, scripts: headers and gzip bodies",
    )
    return section
