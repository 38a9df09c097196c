"""A campaign whose dashboard is slow to make shows the previous one, saying as of when, and
the current one is made after the page is sent: the next reader sees it. Off (the default of
the tests, and for a campaign whose dashboard is quick) every reader waits for the current."""

from __future__ import annotations

from surveyapp.services import scores
from tests.scores_fixtures import add_responses, answers_all, make_campaign


def _page(client, campaign_id: int):
    resp = client.get(f"/campaigns/{campaign_id}/dashboard")
    html = resp.get_data(as_text=True)
    resp.close()  # the WSGI server closes the response: the refresh runs then
    return resp.status_code, html


def test_the_previous_dashboard_while_the_new_one_is_made(app, client, make_user, login):
    admin, _t = make_user("admin")
    login(admin.username)
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    app.config["DASHBOARD_STALE_AFTER_SECONDS"] = 0.0  # every dashboard counts as slow
    try:
        status, html = _page(client, c.id)
        assert status == 200 and "此后收到的答卷正在计入" not in html  # nothing earlier to show
        add_responses(c, "online", [answers_all(1)])
        status, html = _page(client, c.id)
        assert status == 200 and "此后收到的答卷正在计入" in html
        # the refresh ran when that page was closed: the next reader sees the new response
        fp = scores.fingerprint(c)
        names = tuple(sorted(scores.outlet_names(c).items()))
        assert scores.cache.RESULTS.has(("dashboard:zh", fp, scores.NO_FILTER.key(), names))
        status, html = _page(client, c.id)
        assert "此后收到的答卷正在计入" not in html
    finally:
        app.config["DASHBOARD_STALE_AFTER_SECONDS"] = None


def test_off_every_reader_waits_for_the_current_dashboard(app, client, make_user, login):
    admin, _t = make_user("admin")
    login(admin.username)
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    _page(client, c.id)
    add_responses(c, "online", [answers_all(1)])
    status, html = _page(client, c.id)
    assert status == 200 and "此后收到的答卷正在计入" not in html


def test_an_exclusion_is_never_shown_stale(app, client, make_user, login):
    from surveyapp.services import review

    admin, _t = make_user("admin")
    login(admin.username)
    c = make_campaign()
    rows = add_responses(c, "online", [answers_all(4)] * 3)
    app.config["DASHBOARD_STALE_AFTER_SECONDS"] = 0.0
    try:
        _page(client, c.id)
        review.exclude(rows[0], "测试排除", admin)
        status, html = _page(client, c.id)
        assert status == 200 and "此后收到的答卷正在计入" not in html
    finally:
        app.config["DASHBOARD_STALE_AFTER_SECONDS"] = None


def test_an_empty_setting_means_off(make_app, app, client, make_user, login):
    # FLASK_DASHBOARD_STALE_AFTER_SECONDS= (or "" in instance/config.py) reaches the app as off
    empty = make_app(DASHBOARD_STALE_AFTER_SECONDS="")
    app.config["DASHBOARD_STALE_AFTER_SECONDS"] = empty.config["DASHBOARD_STALE_AFTER_SECONDS"]
    admin, _t = make_user("admin")
    login(admin.username)
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    scores.clear_cache()
    try:
        _page(client, c.id)
        add_responses(c, "online", [answers_all(1)])
        status, html = _page(client, c.id)
        assert status == 200 and "此后收到的答卷正在计入" not in html
        assert not scores.cache._PREVIOUS  # nothing recorded while off
    finally:
        app.config["DASHBOARD_STALE_AFTER_SECONDS"] = None


def test_one_refresh_at_a_time_and_the_claim_is_released(app):
    ident = ("dashboard:zh", ("url", 1, "t", "d"), ("k",))
    assert scores.cache._claim(ident)
    assert not scores.cache._claim(ident)  # a second reader's refresh waits its turn
    scores.cache._release(ident)
    assert scores.cache._claim(ident)
    scores.cache._release(ident)


def test_an_exclusion_in_another_campaign_does_not_make_this_reader_wait(
    app, client, make_user, login
):
    from surveyapp.services import review

    admin, _t = make_user("admin")
    login(admin.username)
    mine, other = make_campaign(), make_campaign()
    add_responses(mine, "online", [answers_all(4)] * 3)
    theirs = add_responses(other, "online", [answers_all(4)] * 3)
    app.config["DASHBOARD_STALE_AFTER_SECONDS"] = 0.0
    try:
        _page(client, mine.id)
        review.exclude(theirs[0], "测试排除", admin)  # elsewhere …
        add_responses(mine, "online", [answers_all(1)])  # … and a new response here
        status, html = _page(client, mine.id)
        assert status == 200 and "此后收到的答卷正在计入" in html
    finally:
        app.config["DASHBOARD_STALE_AFTER_SECONDS"] = None
