"""The scores cache on disk: a restarted server (or another worker) reads the frame and the
figures back instead of recomputing them; new data, an exclusion or changed parameters are
never answered from it."""

from __future__ import annotations

import pytest

from surveyapp.db import db
from surveyapp.services import accounts, review, scores
from surveyapp.services.scores import cache, results
from tests.scores_fixtures import add_responses, answers_all, make_campaign


@pytest.fixture
def disk_app(make_app, tmp_path):
    app = make_app(SCORES_DISK_CACHE=True, SCORES_CACHE_DIR=str(tmp_path / "scores-cache"))
    with app.app_context():
        scores.clear_cache(disk=True)
        yield app
        scores.clear_cache(disk=True)


def _no_computing(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("computed again instead of read from disk")

    monkeypatch.setattr(cache, "load_frame", refuse)
    monkeypatch.setattr(results, "compute_scores", refuse)


def test_a_restart_reads_the_figures_from_disk(disk_app, monkeypatch):
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    add_responses(c, "in_person", [answers_all(5)] * 2)
    first = scores.campaign_scores(c)
    outlets = scores.outlet_scores(c)
    drivers = scores.drivers(c)
    scores.clear_cache()  # what a restart forgets: memory only
    with monkeypatch.context() as m:
        _no_computing(m)
        assert scores.campaign_scores(c) == first
        assert scores.outlet_scores(c) == outlets
        assert scores.drivers(c) == drivers
    # a new response is a new key: computed, never the old figures
    extra = add_responses(c, "online", [answers_all(1)])[0]
    scores.clear_cache()
    again = scores.campaign_scores(c)
    assert again["n"]["online"] == 4 and again["S_online"] != first["S_online"]
    # so is an exclusion
    admin = accounts.create_user("disk.admin", "admin", "correct-horse")[0]
    review.exclude(extra, "测试排除", admin)
    scores.clear_cache()
    assert sum(scores.campaign_scores(c)["excluded"].values()) == 1


def test_changed_parameters_are_not_answered_from_disk(disk_app):
    c = make_campaign()
    add_responses(c, "online", [answers_all(4)] * 3)
    add_responses(c, "in_person", [answers_all(2)] * 3)
    assert scores.campaign_scores(c)["S"] == 60.0  # ½·80 + ½·40
    c.survey_params = {**c.survey_params, "channel_weights": {"in_person": 0.25, "online": 0.75}}
    db.session.commit()
    scores.clear_cache()
    assert scores.campaign_scores(c)["S"] == 70.0  # ¼·40 + ¾·80
