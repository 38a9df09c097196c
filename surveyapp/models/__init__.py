"""ORM models, one module per feature; imported here so that metadata is complete."""

from .audit import AuditLog, LedgerBatch, LedgerEntry
from .campaigns import (
    Campaign,
    Organization,
    Outlet,
    SurveyLink,
    campaign_auditors,
    campaign_viewers,
)
from .evaluations import Evaluation
from .questionnaires import StoredQuestionnaire
from .responses import FollowUp, Response, ResponseExclusion
from .users import ROLES, ApiToken, KnownAddress, LoginFailure, User, hash_token

__all__ = [
    "ROLES",
    "ApiToken",
    "AuditLog",
    "Campaign",
    "Evaluation",
    "FollowUp",
    "KnownAddress",
    "LedgerBatch",
    "LedgerEntry",
    "LoginFailure",
    "Organization",
    "Outlet",
    "Response",
    "ResponseExclusion",
    "StoredQuestionnaire",
    "SurveyLink",
    "User",
    "campaign_auditors",
    "campaign_viewers",
    "hash_token",
]
