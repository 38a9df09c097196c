"""The customer's voice reaches the exports: a `comment` column (CONTRACT December), the consent
flag beside it, and never the contact itself."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.factories import full_answers, outlet_token
from tests.helpers import bearer

COMMENT = "师傅很专业，但是等了三天才上门。"


def test_comments_and_consent_in_csv_and_xlsx_but_no_contact(
    client, make_campaign, make_user, login
):
    _admin, token = make_user("admin", username="export-admin")
    c = make_campaign()
    link = f"/api/v1/links/{outlet_token(c)}/responses"
    assert (
        client.post(link, json={"answers": full_answers(c), "comment": COMMENT}).status_code == 201
    )
    body = {"answers": full_answers(c), "contact": "13800138000", "contact_consent": True}
    assert client.post(link, json=body).status_code == 201
    csv_resp = client.get(f"/api/v1/campaigns/{c.id}/export.csv", headers=bearer(token))
    text = csv_resp.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["comment"] for r in rows] == [COMMENT, ""]
    assert [r["contact_consent"] for r in rows] == ["False", "True"]
    assert "13800138000" not in text
    login("export-admin")
    xlsx = client.get(f"/campaigns/{c.id}/export/responses.xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    data = list(ws.iter_rows(values_only=True))
    col = data[0].index("comment")
    assert data[1][col] == COMMENT
