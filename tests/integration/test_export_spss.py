"""The SPSS export: the same responses as the CSV, with Chinese variable and value labels,
readable by pyreadstat, and no cell a spreadsheet would run."""

from __future__ import annotations

import tempfile

import pytest

from surveyapp.services import exports
from surveyapp.services import responses as response_service
from surveyapp.services.responses import Submission
from tests import factories

pyreadstat = pytest.importorskip("pyreadstat")


def _read(body: bytes):
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        f.write(body)
        f.flush()
        return pyreadstat.read_sav(f.name)


def test_the_sav_export_carries_chinese_labels(client, make_user, make_campaign):
    c = make_campaign()
    token = factories.outlet_token(c)
    answers = factories.full_answers(c, 4)
    first = next(iter(answers))
    response_service.submit_online(
        token, Submission(answers=answers, comment="=1+1 师傅很专业", client_id="spss-0001")
    )
    response_service.submit_online(
        token, Submission(answers={**answers, first: None}, client_id="spss-0002")
    )
    _u, tok = make_user("viewer", "spss.reader")
    resp = client.get(
        f"/api/v1/campaigns/{c.id}/export.sav", headers={"Authorization": f"Bearer {tok}"}
    )
    assert resp.status_code == 200 and resp.mimetype == "application/x-spss-sav"
    df, meta = _read(resp.data)
    assert len(df) == 2
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    question = response_service.questionnaire_for(c).questions[0]
    assert labels[question.id] == question.text_zh and labels["valid"] == "有效答卷（计入得分）"
    assert meta.variable_value_labels[question.id][5.0] == "非常满意"
    assert meta.variable_value_labels["valid"] == {0.0: "否", 1.0: "是"}
    assert df[question.id].tolist()[0] == 4.0
    assert df[first].isna().sum() == 1  # 不适用 is missing, not a code
    comment = df["comment"].tolist()
    assert "'=1+1 师傅很专业" in comment  # the same spreadsheet-safe rule as CSV and XLSX
    assert df["submitted_at"].str.endswith("+08:00").all()
    assert meta.readstat_variable_types[question.id] == "double"


def test_the_sav_holds_the_csv_rows(app, make_campaign):
    c = make_campaign()
    token = factories.outlet_token(c)
    for i in range(3):
        response_service.submit_online(
            token, Submission(answers=factories.full_answers(c, 3 + i % 3), client_id=f"r-{i:06d}")
        )
    body = b"".join(exports.responses_export(c, "sav").body)
    df, _meta = _read(body)
    header = exports.response_header(c)
    assert list(df.columns) == [h.replace("-", "_") for h in header]
    assert sorted(df["id"].astype(int)) == sorted(df["id"].astype(int).unique())
