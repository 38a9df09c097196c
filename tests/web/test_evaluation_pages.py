"""The checklist page (form → draft → level), finalization and the report, for each role."""

from __future__ import annotations

import re
from html import unescape

import flask_babel
import pytest

from surveyapp.db import db
from surveyapp.i18n import scheme_text
from surveyapp.models import Evaluation
from surveyapp.schemes import load_scheme
from surveyapp.services import evaluations, scores
from tests.helpers import CJK, catalogue_english, get_in
from tests.scores_fixtures import (
    add_responses,
    answers_all,
    five_star_input,
    make_campaign,
    role_users,
)

FORM = {
    "columns": "2",
    "evaluation_date": "2026-10-15",
    "operating_since": "2020-01-01",
    "audit-passed": "yes",
    "audit-severe": "0",
    "score-4.1.1-0": "9.5",
    "score-4.1.2-0": "14",
    "score-4.1.2-1": "13",
    "score-4.1.3-0": "9.5",
    "score-4.1.4-0": "23",
    "score-4.1.5-0": "14",
    "score-4.1.6-0": "7",
    "score-4.1.7-0": "8",
    "score-4.1.8-0": "9.5",
    "event_rows": "2",
    "ev-type-0": "major_complaint",
    "ev-date-0": "2026-03-01",
    "ev-rectified-0": "1",
}


@pytest.fixture
def setup(app, make_user):
    scores.clear_cache()
    users = role_users(make_user)
    c = make_campaign(auditors=[users["auditor"]])
    add_responses(c, "in_person", [answers_all(5)] * 2)
    add_responses(c, "online", [answers_all(4)] * 2)
    return {"campaign": c, **users}


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("auditor", 200), ("viewer", 200), ("other", 403)]
)
def test_checklist_page_roles(client, login, setup, who, status):
    login(setup[who].username)
    resp = client.get(f"/campaigns/{setup['campaign'].id}/evaluation")
    assert resp.status_code == status
    if status == 200:
        html = resp.get_data(as_text=True)
        for item in ("4.1.1", "4.1.8"):
            assert f'name="score-{item}-0"' in html
        assert "售后服务网点" in html and ">15<" in html  # item with its maximum points
        assert ("保存并计算" in html) == (who != "viewer")


def test_post_checklist_saves_draft_and_shows_level(client, login, setup):
    login("auditor1")
    c = setup["campaign"]
    resp = client.post(f"/campaigns/{c.id}/evaluation", data=FORM)
    assert resp.status_code == 303
    ev = db.session.scalars(db.select(Evaluation)).one()
    assert ev.input["scores"]["4.1.2"] == [14, 13]
    assert ev.input["events"] == [
        {"type": "major_complaint", "date": "2026-03-01", "rectified": True}
    ]
    html = client.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
    # S = 0.5·100 + 0.5·80 = 90, S_in_person 100, X 94; one rectified complaint → four stars
    assert "四星级" in html
    assert "未能评为五星级" in html
    assert 'value="13"' in html  # second auditor column kept


def test_bad_checklist_is_not_saved(client, login, setup):
    login("admin1")
    c = setup["campaign"]
    resp = client.post(f"/campaigns/{c.id}/evaluation", data={**FORM, "score-4.1.4-0": "26"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "检查项 4.1.4" in html and "has-error" in html
    assert 'value="26"' in html  # the typed value is kept
    assert db.session.scalar(db.select(db.func.count(Evaluation.id))) == 0


def test_viewer_and_stranger_cannot_write(client, login, setup):
    c = setup["campaign"]
    login("viewer1")
    assert client.post(f"/campaigns/{c.id}/evaluation", data=FORM).status_code == 403
    assert (
        client.post(f"/campaigns/{c.id}/evaluation/finalize", data={"confirm": "1"}).status_code
        == 403
    )
    client.post("/logout")
    login("other1")
    assert client.post(f"/campaigns/{c.id}/evaluation", data=FORM).status_code == 403


def test_finalize_and_report(client, login, setup):
    c = setup["campaign"]
    evaluations.put_input(c, five_star_input(), setup["auditor"])
    login("auditor1")
    draft = client.get(f"/campaigns/{c.id}/report").get_data(as_text=True)
    assert "草稿" in draft and "五星级" in draft
    form = client.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
    assert "我确认以 五星级 定稿" in form  # the confirmation names the level
    resp = client.post(f"/campaigns/{c.id}/evaluation/finalize", data={})
    assert resp.status_code == 303
    assert evaluations.current(c).status == "draft"  # confirmation required
    resp = client.post(f"/campaigns/{c.id}/evaluation/finalize", data={"confirm": "1"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        f"/campaigns/{c.id}/report"
    )
    db.session.refresh(c)
    assert c.status == "finalized"  # one meaning of 定稿
    assert re.search(
        r"20\d\d-\d\d-\d\d \d\d:\d\d · ",
        client.get(f"/campaigns/{c.id}/report").get_data(as_text=True),
    )
    client.post("/logout")
    for who in ("viewer1", "admin1"):
        login(who)
        html = client.get(f"/campaigns/{c.id}/report").get_data(as_text=True)
        assert "售后服务认证评价报告" in html and "五星级" in html
        assert "草稿 — 尚未定稿" not in html
        assert 'id="fig-report-dimensions"' in html
        assert "auditor1" in html  # auditors and who finalized
        client.post("/logout")
    login("other1")
    assert client.get(f"/campaigns/{c.id}/report").status_code == 403


def test_report_without_evaluation_redirects(client, login, setup):
    login("viewer1")
    resp = client.get(f"/campaigns/{setup['campaign'].id}/report")
    assert resp.status_code == 303


@pytest.mark.parametrize("scheme_id", ["dni-2026", "icas-27922", "xh-2025"])
def test_checklist_page_for_every_scheme(client, login, app, make_user, scheme_id):
    from surveyapp.schemes import load_scheme

    scores.clear_cache()
    auditor = make_user("auditor", username="a1")[0]
    c = make_campaign(scheme_id, auditors=[auditor])
    login("a1")
    html = client.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
    scheme = load_scheme(scheme_id)
    assert all(f'id="item-{i.id}"' in html for i in scheme.items)
    if any(i.excludable for i in scheme.items):
        assert 'name="na-' in html
    if scheme.special_deductions.enabled:
        assert "特别扣分项" in html


def test_part_of_the_checklist_saves_and_lists_what_is_missing(client, login, setup):
    login("auditor1")
    c = setup["campaign"]
    part = {k: v for k, v in FORM.items() if not k.startswith("score-") or "4.1.1" in k}
    resp = client.post(f"/campaigns/{c.id}/evaluation", data=part)
    assert resp.status_code == 303
    html = client.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
    assert "草稿已保存，还差 7 项" in html
    for item in ("4.1.2", "4.1.8"):
        assert f'href="#item-{item}"' in html and f'id="item-{item}"' in html
    assert 'value="9.5"' in html  # what was typed is there after a reload
    assert "四星级" not in html and "五星级" not in html  # no level yet
    refused = client.post(f"/campaigns/{c.id}/evaluation/finalize", data={"confirm": "1"})
    assert "检查表还差 7 项未填" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert c.status == "collecting"


def test_autosave_answers_in_json(client, login, setup):
    login("auditor1")
    c = setup["campaign"]
    headers = {"Accept": "application/json"}
    part = {k: v for k, v in FORM.items() if not k.startswith("score-4.1.8")}
    ok = client.post(f"/campaigns/{c.id}/evaluation", data=part, headers=headers)
    assert ok.status_code == 200
    assert ok.json["complete"] is False and ok.json["missing"] == ["4.1.8"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", ok.json["saved_at"])
    bad = client.post(
        f"/campaigns/{c.id}/evaluation", data={**part, "score-4.1.4-0": "26"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "scores.4.1.4"
    assert "检查项 4.1.4" in bad.json["error"]["message"]
    assert db.session.scalars(db.select(Evaluation)).one().input["scores"]["4.1.4"] == 23
    done = client.post(f"/campaigns/{c.id}/evaluation", data=FORM, headers=headers)
    assert done.json == {**done.json, "complete": True, "missing": []}


def test_two_auditors_each_save_their_own_column(app, make_user):
    """Two auditors on two tablets: each save changes only the saver's column."""
    from flask import g

    c, _second, a, b, post = _two_auditors(app, make_user, "auditor2")

    # both opened the empty page; the first auditor scores column 0, the second column 1
    assert post(a, {"columns": "2", "score-4.1.1-0": "9", "score-4.1.2-0": "14"}).status_code == 303
    assert post(b, {"columns": "2", "score-4.1.1-1": "8"}).status_code == 303
    ev = evaluations.current(c)
    assert ev.input["scores"] == {"4.1.1": [9, 8], "4.1.2": 14}
    # the first auditor changes their own 4.1.1 with a page that never saw the second's 8
    post(a, {"columns": "2", "score-4.1.1-0": "10", "score-4.1.2-0": "14"})
    db.session.refresh(ev)
    assert ev.input["scores"]["4.1.1"] == [10, 8]
    # a typed value in someone else's column is ignored; an emptied own cell is cleared
    post(b, {"columns": "2", "score-4.1.1-0": "0", "score-4.1.1-1": ""})
    db.session.refresh(ev)
    assert ev.input["scores"]["4.1.1"] == 10 and ev.input["scores"]["4.1.2"] == 14
    g.pop("_login_user", None)
    html = a.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
    assert re.search(r'name="score-4\.1\.1-1"[^>]*disabled', html)  # the other's column
    assert not re.search(r'name="score-4\.1\.1-0"[^>]*disabled', html)


def test_a_stale_page_never_undoes_another_auditors_shared_changes(app, make_user):
    from flask import g

    c, second, a, b, post = _two_auditors(app, make_user, "auditor3")

    def page(client):
        g.pop("_login_user", None)
        html = client.get(f"/campaigns/{c.id}/evaluation").get_data(as_text=True)
        return {
            m.group(1): m.group(2)
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value=\'?"?([^\'">]*)', html)
            if m.group(1) != "csrf_token"
        }

    post(a, {"columns": "2", "score-4.1.1-0": "9"})
    drawn_b = page(b)  # B's page is drawn now, before A's next change
    post(
        a, {**page(a), "score-4.1.1-0": "9", "evaluation_date": "2026-10-15", "audit-passed": "yes"}
    )
    ev = evaluations.current(c)
    assert ev.input["evaluation_date"] == "2026-10-15"
    # B saves their own cell from the stale page: A's date and audit stay
    post(b, {**drawn_b, "score-4.1.1-1": "8"})
    db.session.refresh(ev)
    assert ev.input["evaluation_date"] == "2026-10-15"
    assert ev.input["management_audit"]["passed"] is True
    assert ev.input["scores"]["4.1.1"] == [9, 8]
    # a column the page did not draw (an auditor since unassigned) is kept
    c.auditors.remove(second)
    db.session.commit()
    post(a, {**page(a), "score-4.1.1-0": "10"})
    db.session.refresh(ev)
    assert ev.input["scores"]["4.1.1"] == [10, 8]


def _two_auditors(app, make_user, second_name):
    """A campaign with two assigned auditors, each signed in on a tablet of their own, and a
    post(client, data) that saves the checklist as that client's auditor."""
    from flask import g

    scores.clear_cache()
    users = role_users(make_user)
    second = make_user("auditor", second_name)[0]
    c = make_campaign(auditors=[users["auditor"], second])
    a, b = app.test_client(), app.test_client()
    for client, name in ((a, "auditor1"), (b, second_name)):
        g.pop("_login_user", None)  # the shared test context caches the signed-in user
        client.post("/login", data={"username": name, "password": "correct-horse"})

    def post(client, data):
        g.pop("_login_user", None)
        return client.post(f"/campaigns/{c.id}/evaluation", data=data)

    return c, second, a, b, post


# ---- scheme titles in the reader's language (the `schemes` catalogue) ----------------------

SCHEMES = ["cqm-2019", "dni-2026", "icas-27922", "xh-2025"]
#: the checklist's group headings and item titles (the clause note after <br> stays as written)
HEADING = re.compile(r'<tr class="group"><th colspan="\d+">(.*?)</th></tr>')
ITEM_TITLE = re.compile(
    r'<tr class="item[^"]*" id="item-[^"]+">\s*<td class="clause">.*?</td>\s*<td>(.*?)(?:<br>|</td>)',
    re.S,
)
#: the report's first-level indicator rows
INDICATOR = re.compile(r'<tr><td>([^<]*)</td><td class="num">')


def _full_marks(scheme) -> dict:
    """An input giving every required item its maximum, the rest of five_star_input kept."""
    top = {
        i.id: (max(i.options) if i.mode == "options" else i.points)
        for i in scheme.items
        if i.required
    }
    return {**five_star_input(), "scores": {k: float(v) for k, v in top.items()}}


def _get(client, url: str, lang: str) -> str:
    return get_in(client, url, lang).get_data(as_text=True)


def _indicators(html: str) -> list[str]:
    """The rows of the report's first-level indicator table (the section's first table)."""
    section = html.split('<section class="card">')[2]
    return _shown(INDICATOR, section.split("</table>")[0])


def _shown(pattern: re.Pattern, html: str) -> list[str]:
    return [" ".join(unescape(m).split()) for m in pattern.findall(html)]


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_checklist_titles_in_each_language(client, login, app, make_user, scheme_id):
    """Chinese pages show the scheme file's titles as written; English ones the catalogue's
    English, with no Chinese left in a heading or an item title."""
    scores.clear_cache()
    auditor = make_user("auditor", username="a1")[0]
    c = make_campaign(scheme_id, auditors=[auditor])
    login("a1")
    scheme, en = load_scheme(scheme_id), catalogue_english("schemes")
    groups = list(dict.fromkeys(i.group for i in scheme.items if i.group))
    url = f"/campaigns/{c.id}/evaluation"

    zh = _get(client, url, "zh")
    assert _shown(HEADING, zh) == [
        f"{g} {scheme.group_map[g].title}（{scheme.group_map[g].points} 分）" for g in groups
    ]
    assert _shown(ITEM_TITLE, zh) == [i.title for i in scheme.items]

    english = _get(client, url, "en")
    headings, titles = _shown(HEADING, english), _shown(ITEM_TITLE, english)
    assert headings == [
        f"{g} {en[scheme.group_map[g].title]} ({scheme.group_map[g].points} points)" for g in groups
    ]
    assert titles == [en[i.title] for i in scheme.items]
    assert not [t for t in headings + titles if CJK.search(t)]
    if scheme_id == "cqm-2019":
        for word in ("After-sales service outlets", "Delivery service", "Technical support"):
            assert word in titles
    elif scheme_id == "icas-27922":
        assert "5.2.2 Technical support (6 points)" in headings


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_report_indicators_in_each_language(client, login, app, make_user, scheme_id):
    """The report's first-level indicators: as the scheme file writes them, or in English."""
    scores.clear_cache()
    auditor = make_user("auditor", username="a1")[0]
    c = make_campaign(scheme_id, auditors=[auditor])
    add_responses(c, "in_person", [answers_all(5)] * 2)
    add_responses(c, "online", [answers_all(4)] * 2)
    scheme, en = load_scheme(scheme_id), catalogue_english("schemes")
    evaluations.put_input(c, _full_marks(scheme), auditor)
    login("a1")
    url = f"/campaigns/{c.id}/report"
    first_level = [(n.id, n.title) for n in scheme.first_level]

    assert _indicators(_get(client, url, "zh")) == [f"{i} {t}" for i, t in first_level]
    english = _indicators(_get(client, url, "en"))
    assert english == [f"{i} {en[t]}" for i, t in first_level]
    assert not [t for t in english if CJK.search(t)]
    if scheme_id == "cqm-2019":
        assert "4.1.5 Repair and maintenance" in english


def test_scheme_text_in_each_language(app):
    """The helper: the file's text on Chinese pages, English on English ones; a bare % is text."""
    percent = (
        "按服务管理人员总数的10%配置售后服务管理师，负责对售后服务工作的管理和对售后服务活动的指导"
    )
    with app.test_request_context("/?lang=zh"):
        flask_babel.refresh()  # the locale cached in the shared app context
        assert scheme_text("配送服务") == "配送服务" and scheme_text(percent) == percent
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        assert scheme_text("配送服务") == "Delivery service"
        assert scheme_text(percent).startswith(
            "Certified after-sales service managers are appointed at 10% "
        )
        assert scheme_text(None) == "" and scheme_text("不在目录里的标题") == "不在目录里的标题"
        flask_babel.refresh()


def test_the_evaluation_history_names_levels_in_the_readers_language(client, login, setup):
    """A finalized result stores its level's Chinese name; the history shows the level's label."""
    c = setup["campaign"]
    evaluations.put_input(c, five_star_input(), setup["auditor"])
    evaluations.finalize(c, setup["auditor"])
    evaluations.put_input(
        c, {**five_star_input(), "evaluation_date": "2026-10-16"}, setup["auditor"]
    )
    login("auditor1")
    url = f"/campaigns/{c.id}/evaluation"
    history = {
        lang: _get(client, url, lang).split('<section class="card"><h2>')[-1]
        for lang in ("zh", "en")
    }
    assert history["zh"].startswith("评价记录") and "五星级" in history["zh"]
    assert history["en"].startswith("Evaluation history") and "Five stars" in history["en"]
    assert not CJK.search(history["en"])
