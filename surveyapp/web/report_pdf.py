"""The evaluation report as an A4 PDF (`/campaigns/<id>/report.pdf`, page and API).

WeasyPrint lays out `templates/report/pdf.html` with the system's Noto Sans CJK (installed by
`scripts/system-deps`), embedding the glyphs it uses, so the Chinese text can be searched and
copied from the PDF. The dimension chart is SVG drawn by the template: no browser is needed.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from flask import Response, render_template, request
from flask_babel import gettext as _

from ..errors import DomainError
from ..i18n import select_locale
from ..scoring.survey import DIMENSION_NAMES_ZH, DIMENSIONS
from ..services import anchors, evaluations
from ..services import comments as comment_service
from ..services import dashboard as dashboard_service
from ..vocabulary import N_

#: comments printed in the report (the page of comments lists them all)
REPORT_COMMENTS = 8


def comment_context(campaign) -> dict:
    """What templates/report/_comments.html shows: the count, the latest few, and per dimension
    how many commenting customers rated it in each band."""
    return {
        "comment_count": comment_service.count(campaign),
        "comments": comment_service.latest(campaign, REPORT_COMMENTS),
        "bands": comment_service.band_counts(campaign),
    }


_MEASURES = (("S", "S"), ("S_in_person", N_("S当面")), ("S_online", N_("S电子")))


@cache
def cjk_font() -> bool:
    """Whether fontconfig knows a Chinese font (else the PDF would print empty boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        found = subprocess.run(  # noqa: S603 - fixed arguments, no input
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def _weasyprint():
    try:
        from weasyprint import HTML
    except OSError:  # the Pango libraries are missing
        return None
    return HTML


def render(campaign) -> bytes:
    """The PDF of the campaign's evaluation in force; DomainError when there is none yet, the
    checklist is incomplete, or this server cannot typeset Chinese."""
    result = evaluations.result(campaign, evaluations.reported(campaign))
    if not result.get("complete", True):
        gaps = result["missing"]
        raise DomainError("evaluation_incomplete", "scores", count=len(gaps), gaps=gaps)
    html_class = _weasyprint()
    if html_class is None or not cjk_font():
        raise DomainError("pdf_unavailable")
    survey = result.get("survey") or {}
    n = survey.get("n") or {}
    counts = {
        "S": n.get("in_person", 0) + n.get("online", 0),
        **{f"S_{k}": v for k, v in n.items()},
    }
    ci_dims = (survey.get("ci95") or {}).get("dimensions") or {}
    ev = result["evaluation"]
    period = " ~ ".join(
        d.strftime("%Y-%m-%d") if d else "—" for d in (campaign.opens_at, campaign.closes_at)
    )
    html = render_template(
        "report/pdf.html",
        lang=select_locale(),
        campaign=campaign,
        scheme=evaluations.scheme_of(campaign),
        r=result,
        ev=ev,
        survey=survey,
        has_survey=survey.get("S") is not None,
        measures=[(k, _(name), counts.get(k, 0)) for k, name in _MEASURES],
        dimensions=[
            (_(DIMENSION_NAMES_ZH[d]), (survey.get("dimensions") or {}).get(d)) for d in DIMENSIONS
        ],
        dimension_cis=[ci_dims.get(d) for d in DIMENSIONS],
        outlets=dashboard_service.outlet_table(campaign) if survey.get("S") is not None else [],
        **comment_context(campaign),
        evaluation_day=(result.get("input") or {}).get("evaluation_date")
        or (campaign.evaluation_date.isoformat() if campaign.evaluation_date else None),
        period=period,
        auditors="、".join(a.display_name or a.username for a in campaign.auditors),
        finalized_by=evaluations.user_name(ev.get("finalized_by_id")),
        scheme_sha256=ev.get("scheme_sha256")
        or (result.get("parameters") or {}).get("scheme_sha256"),
        anchor=anchors.for_campaign_or_none(campaign.id),
    )
    return html_class(string=html, base_url=request.url_root).write_pdf()


def response(campaign) -> Response:
    """The PDF as a download named after the organization and the day."""
    body = render(campaign)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="report-{campaign.id}.pdf"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
