"""The evaluation report as an A4 PDF: Chinese text a reader can extract, no internal ids, and
no page but the last less than half filled."""

from __future__ import annotations

import io
import os

import pytest

from surveyapp.db import db
from surveyapp.models import Response
from surveyapp.services import evaluations, scores
from surveyapp.survey_math import pack_answers
from surveyapp.web import report_pdf
from tests.scores_fixtures import add_responses, answers_all, five_star_input, make_campaign

pypdf = pytest.importorskip("pypdf")

FORBIDDEN = ("four_star", "five_star", "first_level", "management_audit", "seed 00", "S_in_person")
A4 = (595.3, 841.9)


@pytest.fixture
def finalized(app, make_user):
    if not report_pdf.cjk_font():
        if os.environ.get("REQUIRE_BROWSER"):  # CI installs the font with the browser
            pytest.fail("REQUIRE_BROWSER is set but no Chinese font is installed")
        pytest.skip("no Chinese font on this machine (scripts/system-deps installs one)")
    scores.clear_cache()
    auditor = make_user("auditor", "pdf.auditor")[0]
    c = make_campaign(auditors=[auditor])
    add_responses(c, "in_person", [answers_all(5)] * 30 + [answers_all(4)] * 10)
    online = add_responses(c, "online", [answers_all(4)] * 35)
    for row, text in zip(online, ("师傅很专业，但是等了三天才上门。", "希望回访，电话一直占线。")):
        row.comment = text
    db.session.commit()
    evaluations.put_input(c, five_star_input(), auditor)
    evaluations.finalize(c, auditor)
    return c


def _pages(body: bytes):
    reader = pypdf.PdfReader(io.BytesIO(body))
    out = []
    for page in reader.pages:
        ys: list[float] = []

        def seen(text, _cm, tm, _font, _size, ys=ys):
            if text.strip():
                ys.append(tm[5])

        text = page.extract_text(visitor_text=seen)
        out.append((text, float(page.mediabox.width), float(page.mediabox.height), ys))
    return out


def test_the_report_pdf_reads_as_chinese_without_internal_ids(client, login, finalized):
    login("pdf.auditor")
    resp = client.get(f"/campaigns/{finalized.id}/report.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages = _pages(resp.data)
    text = "\n".join(p[0] for p in pages)
    level = evaluations.result(finalized)["level_name"]
    assert level in text and "已定稿" in text and "售后服务认证评价报告" in text
    assert "示例电器有限公司" in text and "等了三天才上门" in text
    for word in FORBIDDEN:
        assert word not in text, word
    for _text, width, height, _ys in pages:
        assert (round(width), round(height)) == (595, 842)  # A4
    # every page but the last is at least half filled (text reaches below its middle)
    for _text, _w, height, ys in pages[:-1]:
        assert ys and min(ys) < height / 2


def test_the_api_serves_the_same_pdf(client, make_user, finalized):
    _user, token = make_user("viewer", "pdf.reviewer")
    resp = client.get(
        f"/api/v1/campaigns/{finalized.id}/report.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_no_pdf_for_an_incomplete_checklist(client, make_user):
    scores.clear_cache()
    user, token = make_user("auditor", "pdf.partial")
    c = make_campaign(auditors=[user])
    evaluations.put_input(c, {"scores": {"4.1.1": 9}}, user)
    resp = client.get(
        f"/api/v1/campaigns/{c.id}/report.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 409 and resp.json["error"]["code"] == "evaluation_incomplete"


def test_the_reports_show_comment_counts_and_the_unhappy_dimensions(client, login, finalized):
    unhappy = db.session.scalar(
        db.select(Response).where(Response.comment == "希望回访，电话一直占线。")
    )
    unhappy.answers = pack_answers(answers_all(2))
    db.session.commit()
    login("pdf.auditor")
    html = client.get(f"/campaigns/{finalized.id}/report").get_data(as_text=True)
    assert "顾客意见（共 2 条，以下为最新 2 条）" in html and "等了三天才上门" in html
    # one commenting customer rated every dimension 不满意 (40 points): counted under each
    assert "留言的顾客中，给这些维度打分低于 60 分的人数：功能性 1、经济性 1" in html
    text = "\n".join(p[0] for p in _pages(client.get(f"/campaigns/{finalized.id}/report.pdf").data))
    assert "低于 60 分" in text and "时间性" in text


def test_the_english_report_pdf_names_the_indicators_in_english(client, login, finalized):
    """The first-level indicators' titles: the scheme file's Chinese in the Chinese PDF, the
    `schemes` catalogue's English in the English one."""
    from surveyapp.schemes import load_scheme
    from tests.helpers import get_in

    login("pdf.auditor")
    url = f"/campaigns/{finalized.id}/report.pdf"
    texts = {}
    for lang in ("zh", "en"):
        body = get_in(client, url, lang).data
        texts[lang] = " ".join("\n".join(p[0] for p in _pages(body)).split())
    indicators = load_scheme("cqm-2019").first_level
    for node in indicators:
        assert f"{node.id} {node.title}" in texts["zh"]
        assert f"{node.id} {node.title}" not in texts["en"]
    assert "4.1.2 After-sales service outlets" in texts["en"]
    assert "4.1.5 Repair and maintenance" in texts["en"]
    assert "4.1.8 Handling of complaints and feedback" in texts["en"]
