"""The dashboard's warnings read in the reader's language, from their codes and figures."""

from __future__ import annotations

from surveyapp.web.result_words import warning
from tests.helpers import get_in
from tests.scores_fixtures import add_responses, answers_all, make_campaign


def test_the_warnings_are_worded_in_each_language(app, client, make_user, login):
    admin, _t = make_user("admin")
    login(admin.username)
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    zh = client.get(f"/campaigns/{c.id}/dashboard").get_data(as_text=True)
    assert "电子问卷有效答卷 3 份，少于 30 份（样本不足）" in zh
    en = get_in(client, f"/campaigns/{c.id}/dashboard", "en").get_data(as_text=True)
    assert "Online questionnaire: 3 valid responses, fewer than 30 (sample too small)" in en
    assert "有效答卷 3 份" not in en


def test_a_low_alpha_and_an_unknown_code(app):
    s = {"alpha": {"economy": 0.42}, "parameters": {"alpha_acceptable": 0.7}, "n": {}}
    with app.test_request_context("/"):
        assert (
            warning("low_alpha:economy: 旧文字", s)
            == "经济性的 Cronbach's α = 0.42，低于 0.70（问卷信度）"
        )
        assert warning("something_new: 原样显示", s) == "原样显示"
        assert warning("low_alpha:economy: 旧文字", {}) == "旧文字"  # cached before alpha was kept
