"""A forged Host header is refused (400) before it can become a survey URL's or QR code's host.

CONTRACT (December): trusted = the host of PUBLIC_BASE_URL, plus 127.0.0.1 and localhost by
default; FLASK_TRUSTED_HOSTS adds more.
"""

from __future__ import annotations

from surveyapp.config import trusted_hosts
from tests.helpers import bearer

BODY = {
    "organization": {"name": "示例电器有限公司", "operating_since": "2020-01-01"},
    "scheme": "cqm-2019",
    "outlets": [{"name": "朝阳服务中心"}],
}


def test_untrusted_host_is_refused_everywhere(client, make_user):
    _admin, token = make_user("admin")
    for path in ("/login", "/s/anything", "/api/v1/me"):
        resp = client.get(path, headers={"Host": "evil.example", **bearer(token)})
        assert resp.status_code == 400, path
        assert resp.json["error"]["code"] == "untrusted_host"
    resp = client.post(
        "/api/v1/campaigns", json=BODY, headers={"Host": "evil.example", **bearer(token)}
    )
    assert resp.status_code == 400
    ok = client.post("/api/v1/campaigns", json=BODY, headers=bearer(token))
    assert ok.status_code == 201
    assert all(o["survey_url"].startswith("http://survey.test/") for o in ok.json["outlets"])


def test_trusted_hosts_come_from_the_public_url_the_server_name_and_the_setting():
    assert trusted_hosts({"DEFAULT_TRUSTED_HOSTS": ("127.0.0.1", "localhost")}) == [
        "127.0.0.1",
        "localhost",
    ]
    got = trusted_hosts(
        {
            "DEFAULT_TRUSTED_HOSTS": ("127.0.0.1", "localhost"),
            "PUBLIC_BASE_URL": "https://survey.example.cn/base",
            "SERVER_NAME": "app.internal:8000",
            "TRUSTED_HOSTS": "a.example, .b.example",
        }
    )
    assert got == [
        "127.0.0.1",
        "localhost",
        "a.example",
        ".b.example",
        "survey.example.cn",
        "app.internal",
    ]


def test_a_local_server_answers_on_loopback(make_app):
    app = make_app(SERVER_NAME=None)
    c = app.test_client()
    assert c.get("/login", base_url="http://127.0.0.1:5000").status_code == 200
    assert c.get("/login", base_url="http://localhost:5000").status_code == 200
    assert c.get("/login", base_url="http://evil.example").status_code == 400
