"""GET /campaigns/<id>/scores and the streamed responses export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ... import vocabulary
from ...scoring.survey import CHANNELS, DIMENSIONS
from ...services import exports, scores
from ...services.bounds import MAX_OUTLETS
from ...services.scores.filters import FIRST_DAY, LAST_DAY
from ..downloads import send
from . import api_auth, api_campaign, bp
from .campaigns import Counts
from .document import operation
from .schema import Id, Matching, Output, Payload, out, query

READERS = ("admin", "auditor", "viewer")
assert (FIRST_DAY.isoformat(), LAST_DAY.isoformat()) == ("2000-01-01", "2100-12-31")
#: a day the filter may name: 2000-01-01 … 2100-12-31 (FIRST_DAY, LAST_DAY)
DAY = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
Day = Annotated[Matching(DAY, "invalid_date"), Field(json_schema_extra={"format": "date"})]


class ScoreFilter(Payload):
    """Which responses the figures cover (every one by default)."""

    outlet: list[Id] = Field([], max_length=MAX_OUTLETS, description="outlet ids (repeat)")
    channel: Literal[tuple(CHANNELS)] | None = None
    start: Day | None = Field(
        None, description="first local day (Asia/Shanghai), inclusive, 2000-01-01 … 2100-12-31"
    )
    end: Day | None = Field(None, description="last local day, inclusive, not before start")


class ScoreQuery(ScoreFilter):
    by: Literal["outlet"] | None = Field(
        None, description="outlet: also each outlet computed exactly as the campaign is"
    )


def request_filter(campaign) -> scores.ScoreFilter:
    """The ?outlet=&channel=&start=&end= filter (DomainError invalid_filter, a 400, when bad,
    an outlet of another campaign included)."""
    f = query(ScoreFilter)
    flt = scores.parse_filter([str(o) for o in f.outlet], f.channel, f.start, f.end)
    return scores.check_outlets(flt, (o.id for o in campaign.outlets))


Score = Annotated[float | None, Field(json_schema_extra={"minimum": 0, "maximum": 100})]


class PartScores(Output):
    """a part of the campaign (an outlet, a period), computed exactly as the campaign"""

    n: Counts
    S: Score
    S_in_person: Score
    S_online: Score
    ci95: dict[str, Any]
    sufficient: dict[str, bool]


class OutletScores(PartScores):
    """one outlet, computed exactly as the campaign over its responses"""

    id: int
    name: str
    dimensions: dict[str, Score]
    marginal: dict[str, bool] = {}
    threshold: float | None = Field(
        None, description="the highest of the scheme's level thresholds that S reaches"
    )


class TrendQuery(ScoreFilter):
    interval: Literal["week", "month"] = Field("month", description="weeks start on Monday")


class TrendPeriod(PartScores):
    start: str = Field(description="first local day (Asia/Shanghai) of the period")
    end: str = Field(description="last local day of the period")


class Trend(Output):
    """S per period, each computed exactly as the campaign; the periods' n add up to its n"""

    interval: Literal["week", "month"]
    periods: list[TrendPeriod]


class Scores(Output):
    """scores over the valid responses (null where there is none to compute from)"""

    n: Counts = Field(description="valid responses per channel")
    received: Counts | None = Field(None, description="stored responses per channel")
    invalid: Counts | None = None
    excluded: Counts | None = Field(None, description="responses excluded by an auditor")
    S: Score
    S_in_person: Score
    S_online: Score
    dimensions: dict[str, Score]
    ci95: dict[str, Any] = Field(description="bootstrap 95 % intervals [lo, hi]")
    sufficient: dict[str, bool]
    warnings: list[str]
    flags: dict[str, int] | None = Field(
        None,
        description="responses of the whole campaign carrying each flag (speeding, "
        "straight_lining, duplicate, burst, no_timing), flagged in all, total; flags never "
        "change S by themselves",
    )
    outlets: list[OutletScores] | None = Field(None, description="with ?by=outlet")


@bp.get("/campaigns/<int:campaign_id>/scores")
@operation(
    "Perception scores over the campaign's valid responses", query=ScoreQuery, ok={200: Scores}
)
@api_auth(*READERS)
def campaign_scores(campaign_id: int):
    """S, S_in_person, S_online, dimensions, intervals and sufficiency over valid responses."""
    campaign = api_campaign(campaign_id)
    flt = request_filter(campaign)
    figures = {**scores.campaign_scores(campaign, flt), "flags": scores.flag_summary(campaign)}
    if query(ScoreQuery).by == "outlet":
        figures["outlets"] = scores.outlet_scores(campaign, flt)
    return out(Scores, figures)


@bp.get("/campaigns/<int:campaign_id>/export.csv")
@operation(
    "Every response (one row each, one column per question), streamed CSV", ok={200: "text/csv"}
)
@api_auth(*READERS)
def export_csv(campaign_id: int):
    """Every response, one row each, streamed as UTF-8 CSV with BOM."""
    return send(exports.responses_export(api_campaign(campaign_id), "csv"))


@bp.get("/campaigns/<int:campaign_id>/export.xlsx")
@operation(
    "Every response as an XLSX sheet (the CSV's rows)",
    ok={200: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    errors={413: "more rows than a sheet holds: use the CSV"},
)
@api_auth(*READERS)
def export_xlsx(campaign_id: int):
    """Every response, one row each, as XLSX."""
    return send(exports.responses_export(api_campaign(campaign_id), "xlsx"))


@bp.get("/campaigns/<int:campaign_id>/export.sav")
@operation(
    "Every response as SPSS .sav, with Chinese variable and value labels",
    ok={200: "application/x-spss-sav"},
    errors={413: "more rows than one .sav is written with: use the CSV"},
)
@api_auth(*READERS)
def export_sav(campaign_id: int):
    """Every response, one case each, as SPSS .sav (labels: the questions and answer words)."""
    return send(exports.responses_export(api_campaign(campaign_id), "sav"))


@bp.get("/campaigns/<int:campaign_id>/scores.csv")
@operation("The scores as CSV (UTF-8 with BOM)", query=ScoreFilter, ok={200: "text/csv"})
@api_auth(*READERS)
def scores_csv(campaign_id: int):
    """The scores (overall, per channel, per dimension, per outlet) as CSV."""
    campaign = api_campaign(campaign_id)
    return send(exports.scores_export(campaign, "csv", request_filter(campaign)))


@bp.get("/campaigns/<int:campaign_id>/trend")
@operation(
    "S per week or month, each period computed as the campaign", query=TrendQuery, ok={200: Trend}
)
@api_auth(*READERS)
def campaign_trend(campaign_id: int):
    """S, S_in_person and S_online per week or calendar month (Asia/Shanghai days)."""
    campaign = api_campaign(campaign_id)
    interval = query(TrendQuery).interval
    return out(Trend, scores.trend(campaign, interval, request_filter(campaign)))


Importance = Annotated[float | None, Field(json_schema_extra={"minimum": -1, "maximum": 1})]
Quadrant = Literal[vocabulary.ids("driver_quadrant")] | None


class Driver(Output):
    importance: Importance = Field(
        description="Pearson r with overall satisfaction over the valid responses (null: fewer "
        "than 3 pairs, or everyone answered alike)"
    )
    ci95: list[Importance] | None = Field(None, description="Fisher-z 95 % interval of r")
    n: int = Field(description="responses with both scores")
    sufficient: bool = Field(description="importance computed from at least min_pairs pairs")
    performance: Score = Field(description="the campaign's own score of it, as on /scores")
    quadrant: Quadrant = Field(
        None, description="split at the mean importance and mean performance of the items"
    )


class DimensionDriver(Driver):
    dimension: Literal[tuple(DIMENSIONS)]


class QuestionDriver(Driver):
    question_id: str
    dimension: Literal[tuple(DIMENSIONS)]


class Split(Output):
    importance: float | None
    performance: Score


class Drivers(Output):
    """importance–performance analysis: what to fix first"""

    method: str = Field(description="pearson_r: derived importance (docs/api.md says why)")
    basis: str = Field(
        description="what importance is measured against: overall_question:<id>, "
        "nps_question:<id> or other_dimensions"
    )
    min_pairs: int
    split: Split
    dimensions: list[DimensionDriver]
    question_split: Split
    questions: list[QuestionDriver]


@bp.get("/campaigns/<int:campaign_id>/drivers")
@operation(
    "What drives satisfaction: importance–performance per dimension and question",
    query=ScoreFilter,
    ok={200: Drivers},
)
@api_auth(*READERS)
def campaign_drivers(campaign_id: int):
    """Importance (r with overall satisfaction) and performance of each dimension, question."""
    campaign = api_campaign(campaign_id)
    return out(Drivers, scores.drivers(campaign, request_filter(campaign)))
