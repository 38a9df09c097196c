"""Dashboard, review (exclude/reinstate), exports and the plotly bundle, for each role."""

from __future__ import annotations

import json
import re

import pytest

from surveyapp.db import db
from surveyapp.models import Response, ResponseExclusion
from surveyapp.services import scores
from tests.helpers import CJK, get_in
from tests.scores_fixtures import add_responses, answers_all, make_campaign, role_users


@pytest.fixture
def setup(app, make_user):
    scores.clear_cache()
    users = role_users(make_user)
    c = make_campaign(auditors=[users["auditor"]])
    add_responses(c, "in_person", [answers_all(5)] * 3)
    add_responses(c, "online", [answers_all(4)] * 2, outlet=c.outlets[1])
    fast = add_responses(c, "online", [answers_all(3)], duration_s=5)[0]
    return {"campaign": c, "fast": fast, **users}


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("auditor", 200), ("viewer", 200), ("other", 403)]
)
def test_dashboard_roles(client, login, setup, who, status):
    login(setup[who].username)
    c = setup["campaign"]
    resp = client.get(f"/campaigns/{c.id}/dashboard")
    assert resp.status_code == status
    if status == 200:
        html = resp.get_data(as_text=True)
        assert "样本不足" in html  # 3 + 3 responses: below 30 per channel
        assert "网点1" in html and "网点2" in html
        # figures travel as JSON data blocks; no inline executable script
        blocks = re.findall(
            r'<script type="application/json" id="fig-([a-z_]+)">(.*?)</script>', html, re.S
        )
        assert {name for name, _ in blocks} == {
            "dimensions",
            "outlets",
            "distribution",
            "over_time",
            "trend",
            "drivers",
        }
        for _name, body in blocks:
            assert "data" in json.loads(body)
        assert re.search(r"<script>(?!</script>)", html) is None
        assert "/assets/plotly-" in html and "js/dashboard.js" in html
        # no script or style from a CDN (the page's random CSRF token may spell "cdn")
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert sources and not [u for u in sources if "cdn" in u.lower() or "//" in u]


def test_dashboard_anonymous_redirects(client, setup):
    resp = client.get(f"/campaigns/{setup['campaign'].id}/dashboard")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_dashboard_filters(client, login, setup):
    login("viewer1")
    c = setup["campaign"]
    html = client.get(f"/campaigns/{c.id}/dashboard?channel=in_person").get_data(as_text=True)
    assert "100.00" in html
    resp = client.get(f"/campaigns/{c.id}/dashboard?start=yesterday")
    assert resp.status_code == 400 and "筛选条件无效" in resp.get_data(as_text=True)
    outlet = c.outlets[1].id
    resp = client.get(
        f"/campaigns/{c.id}/dashboard?outlet={outlet}&start=2026-09-01&end=2026-09-30"
    )
    assert resp.status_code == 200


def test_plotly_served_locally_partial_and_gzipped(client):
    """The partial bundle scripts/vendor-js installs (make install does), gzipped: the phone
    budget of issue 14 (≤ 1 MB for the dashboard and its scripts) rests on it."""
    import gzip
    import re as regex

    import plotly

    from surveyapp.web import dashboard

    url = f"/assets/plotly-{plotly.__version__}.min.js"
    plain = client.get(url)
    assert plain.status_code == 200 and plain.mimetype == "text/javascript"
    assert plain.headers["X-Plotly-Bundle"] == "basic", "run scripts/vendor-js (make install)"
    raw = plain.get_data()
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == raw
    assert len(packed.get_data()) < 450_000 < 1_300_000 > len(raw)
    assert "immutable" in packed.headers["Cache-Control"]
    # the partial bundle is the plotly.js of the pinned plotly package: same figure JSON
    full = dashboard.PLOTLY_FULL.read_bytes()[:200].decode()
    assert regex.search(r"plotly\.js v([\d.]+)", full).group(1) == dashboard.PLOTLY_JS_VERSION
    assert f"v{dashboard.PLOTLY_JS_VERSION}" in raw[:300].decode()


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("auditor", 200), ("viewer", 200), ("other", 403)]
)
def test_review_page_roles(client, login, setup, who, status):
    login(setup[who].username)
    resp = client.get(f"/campaigns/{setup['campaign'].id}/review")
    assert resp.status_code == status
    if status == 200:
        html = resp.get_data(as_text=True)
        assert "答题过快" in html
        has_buttons = 'name="reason"' in html
        assert has_buttons == (who in ("admin", "auditor"))


def test_exclude_and_reinstate_from_review(client, login, setup):
    c, fast = setup["campaign"], setup["fast"]
    base = f"/campaigns/{c.id}/responses/{fast.id}"
    login("viewer1")
    assert client.post(f"{base}/exclude", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    login("other1")
    assert client.post(f"{base}/exclude", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    login("auditor1")
    resp = client.post(f"{base}/exclude", data={"reason": ""})
    assert resp.status_code == 303
    assert not db.session.get(Response, fast.id).excluded  # reason required
    resp = client.post(
        f"{base}/exclude", data={"reason": "用时 5 秒，不可能读完题目"}, follow_redirects=True
    )
    assert "已排除答卷" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, fast.id).excluded
    html = client.get(f"/campaigns/{c.id}/review").get_data(as_text=True)
    assert "用时 5 秒，不可能读完题目" in html and "已排除" in html  # stays visible
    api = client.get(f"/campaigns/{c.id}/dashboard").get_data(as_text=True)
    assert "已排除 1" in api
    client.post(f"{base}/reinstate", data={"reason": "核实后保留"})
    db.session.expire_all()
    assert not db.session.get(Response, fast.id).excluded
    assert db.session.scalar(db.select(db.func.count(ResponseExclusion.id))) == 2
    assert (
        client.post(f"/campaigns/{c.id}/responses/99999/exclude", data={"reason": "x"}).status_code
        == 404
    )


def test_review_form_carries_csrf_token(client, login, setup):
    login("auditor1")
    html = client.get(f"/campaigns/{setup['campaign'].id}/review").get_data(as_text=True)
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize(
    "kind,ext", [("responses", "csv"), ("responses", "xlsx"), ("scores", "csv"), ("scores", "xlsx")]
)
def test_exports_download(client, login, setup, kind, ext):
    login("viewer1")
    resp = client.get(f"/campaigns/{setup['campaign'].id}/export/{kind}.{ext}")
    assert resp.status_code == 200
    body = resp.get_data()
    resp.close()
    if ext == "csv":
        assert body.startswith("\ufeff".encode())
    else:
        assert body[:2] == b"PK"
    assert f"campaign-{setup['campaign'].id}-{kind}.{ext}" in resp.headers["Content-Disposition"]
    client.post("/logout")
    login("other1")
    assert client.get(f"/campaigns/{setup['campaign'].id}/export/{kind}.{ext}").status_code == 403


def test_dashboard_in_english(client, login, setup):
    login("viewer1")
    html = client.get(f"/campaigns/{setup['campaign'].id}/dashboard?lang=en").get_data(as_text=True)
    assert "Customer perception survey dashboard" in html and "Insufficient sample" in html
    html = client.get(f"/campaigns/{setup['campaign'].id}/review").get_data(as_text=True)
    assert "Response review" in html


def test_review_at_scale_filter_words_and_bulk(client, login, setup, make_campaign):
    c, fast = setup["campaign"], setup["fast"]
    login("auditor1")
    review = f"/campaigns/{c.id}/review"
    only_fast = client.get(f"{review}?flag=speeding").get_data(as_text=True)
    assert f'id="r{fast.id}"' in only_fast and only_fast.count('class="review-row') == 1
    every = client.get(review).get_data(as_text=True)
    # answers as question text and the words of the scale, not a code string
    assert "非常满意" in every and "一般" in every and "<code>" not in every
    assert client.get(f"{review}?flag=nonsense").status_code == 200  # falls back to all
    ids = [int(i) for i in re.findall(r'name="response" value="(\d+)" form="bulk"', every)]
    assert len(ids) == 6

    def excluded():
        db.session.expire_all()
        return sorted(r.id for r in db.session.scalars(db.select(Response)) if r.excluded)

    # refused as a whole: no reason, an id of another campaign, a viewer
    client.post(f"{review}/exclude", data={"response": ids[:3], "reason": " "})
    other = make_campaign(organization="别家公司")
    foreign = add_responses(other, "online", [answers_all(2)])[0]
    client.post(f"{review}/exclude", data={"response": [*ids[:3], foreign.id], "reason": "x"})
    assert excluded() == []
    done = client.post(
        f"{review}/exclude",
        data={"response": ids[:3], "reason": "同一设备集中提交，核实为测试数据", "flag": "burst"},
    )
    assert done.status_code == 303 and "flag=burst" in done.headers["Location"]
    assert excluded() == sorted(ids[:3])
    reasons = db.session.scalars(db.select(ResponseExclusion.reason)).all()
    assert reasons == ["同一设备集中提交，核实为测试数据"] * 3
    page = client.get(f"{review}?flag=excluded").get_data(as_text=True)
    assert page.count('class="review-row') == 3
    again = client.post(
        f"{review}/reinstate",
        data={"response": ids[2:4], "reason": "核实后保留"},
        follow_redirects=True,
    )
    html = again.get_data(as_text=True)
    assert "已恢复 1 份答卷" in html and "1 份原本就是这个状态" in html
    assert excluded() == sorted(ids[:2])
    client.post("/logout")
    login("viewer1")
    assert (
        client.post(f"{review}/exclude", data={"response": ids, "reason": "x"}).status_code == 403
    )
    assert excluded() == sorted(ids[:2])


def test_english_charts_have_no_chinese_words(client, login, setup):
    """Titles, axes, legends, dimension names and notes of every chart come from the catalogues;
    only customer-entered names (outlets) and question texts of a Chinese-only bank may stay."""
    login(setup["admin"].username)
    c = setup["campaign"]
    html = get_in(client, f"/campaigns/{c.id}/dashboard", "en").get_data(as_text=True)
    blocks = dict(
        re.findall(r'<script type="application/json" id="fig-([a-z_]+)">(.*?)</script>', html, re.S)
    )
    outlets = {o.name for o in c.outlets}
    for name, body in blocks.items():
        fig = json.loads(body.replace("<\\/", "</"))
        words = [fig["layout"].get("title", {}).get("text", "")]
        for axis in ("xaxis", "yaxis"):
            words.append(((fig["layout"].get(axis) or {}).get("title") or {}).get("text", ""))
        words += [a.get("text", "") for a in fig["layout"].get("annotations", [])]
        for trace in fig["data"]:
            words.append(trace.get("name") or "")
            if name in ("dimensions", "drivers"):
                words += [str(v) for v in (trace.get("x") or []) + (trace.get("text") or [])]
        shown = [w for w in words if w and w not in outlets]
        assert not [w for w in shown if CJK.search(w)], (name, shown)
    assert "Functionality" in blocks["dimensions"]
    # the headline chart is drawn by the server (SVG): its words too
    svg = re.search(r'<svg class="svg-chart".*?</svg>', html, re.S).group(0)
    assert "S in person" in svg and "S online" in svg and not CJK.search(svg)
    # Chinese readers get Chinese days on the time axes; English readers theirs
    assert '"tickformat":"%b %-d"' in blocks["over_time"]
    zh = get_in(client, f"/campaigns/{c.id}/dashboard", "zh").get_data(as_text=True)
    assert '"tickformat":"%-m月%-d日"' in zh.replace("\\u6708", "月").replace("\\u65e5", "日")
