"""The cache of frames and results, keyed by the campaign's fingerprint: in memory, and on disk.

The key changes whenever a response is added, an exclusion is recorded or the campaign's
frozen parameters change (`fingerprint`), so nothing is ever invalidated by hand; the LRUs
only bound the memory. Behind them, when SCORES_DISK_CACHE is on, a diskcache directory in the
instance folder holds the same entries: shared by every worker of the machine and kept across
restarts, so a restarted server reads a million responses' frame and scores back in a fraction
of a second instead of loading and computing them again. A value is written once, under a key
that names exactly what it was computed from; the disk cache only evicts by size.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import current_app, has_app_context
from sqlalchemy import func, select

from ...db import db
from ...models import Campaign, Response, ResponseExclusion
from ...scoring.survey import CHANNELS
from ...survey_math import ResponseFrame
from ...survey_math.quality import FlagContext
from ...survey_math.quality import flag_context as quality_flag_context
from .adapters import params_of
from .filters import ScoreFilter
from .loading import extend_frame, load_frame, load_paradata


class _Lru:
    """A bounded LRU map behind a lock; frames are large, so each kind has its own capacity.

    The value is made outside the lock: a slow load does not block readers of other keys (two
    threads missing the same key may both make it; the last one stored wins).
    """

    def __init__(self, capacity: int):
        self.data: LRUCache[Hashable, Any] = LRUCache(maxsize=capacity)
        self.lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self.lock:
            try:
                return self.data[key]  # a hit counts as a use
            except KeyError:
                pass
        disk = _disk()
        stored = (FORMAT, key)
        value = disk.get(stored, _MISSING) if disk is not None else _MISSING
        if value is _MISSING:
            value = make()
            if disk is not None:
                disk.set(stored, value)
        with self.lock:
            self.data[key] = value
        return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()

    def matching(self, match: Callable[[Any], bool]) -> list[tuple[Any, Any]]:
        """The (key, value) pairs in memory whose key matches."""
        with self.lock:
            return [(k, v) for k, v in self.data.items() if match(k)]


_MISSING = object()
#: the shape of what is cached: an entry written by a release whose frames or results had
#: another shape is never read back (2: frames carry their wide answers, ResponseFrame.wide)
FORMAT = 2
_DISKS: dict[str, Any] = {}
_DISKS_LOCK = threading.Lock()


def _disk():
    """The app's disk cache (diskcache.Cache, one per directory and process), or None when
    SCORES_DISK_CACHE is off or there is no app."""
    if not has_app_context() or not current_app.config.get("SCORES_DISK_CACHE"):
        return None
    folder = current_app.config.get("SCORES_CACHE_DIR") or str(
        Path(current_app.instance_path) / "cache" / "scores"
    )
    with _DISKS_LOCK:
        disk = _DISKS.get(folder)
        if disk is None:
            import diskcache

            os.makedirs(folder, mode=0o700, exist_ok=True)  # paradata: owner only
            disk = diskcache.Cache(
                folder,
                size_limit=int(current_app.config.get("SCORES_CACHE_BYTES") or 2**32),
                eviction_policy="least-recently-stored",
            )
            _DISKS[folder] = disk
    return disk


FRAMES = _Lru(2)  #: a million responses take ~60 MB; keep the two most recent campaigns
RESULTS = _Lru(256)  #: scores, dashboards and flags: small


def clear_cache(disk: bool = False) -> None:
    """Forget every frame and result cached in memory (tests, after a bulk load); with `disk`,
    the app's disk cache too."""
    FRAMES.clear()
    RESULTS.clear()
    store = _disk() if disk else None
    if store is not None:
        store.clear()


def _frozen_digest(campaign: Campaign) -> str:
    """sha256 of the campaign's frozen questionnaire and survey parameters: a draft whose
    parameters change never reads figures computed under the old ones."""
    text = json.dumps(
        [campaign.questionnaire, campaign.survey_params], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(campaign: Campaign) -> tuple:
    """What changes when responses are added or exclusions recorded: counts and max ids.

    Cheap at a million responses: the newest id per channel comes from the (campaign, channel)
    index; every exclusion or reinstatement adds a response_exclusions row (services only), so
    that table's max id and count cover changes of `excluded`. On PostgreSQL ids are not
    committed in order, so the campaign's count is added there. The database URL and the
    campaign's creation time keep two databases (or restarted ids) apart.
    """
    r, x = Response, ResponseExclusion

    def newest(channel: str):
        return (
            select(func.max(r.id))
            .where(r.campaign_id == campaign.id, r.channel == channel)
            .scalar_subquery()
        )

    parts = [newest(c) for c in CHANNELS]
    parts += [select(func.max(x.id)).scalar_subquery(), select(func.count(x.id)).scalar_subquery()]
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        parts.append(select(func.count()).where(r.campaign_id == campaign.id).scalar_subquery())
    values = tuple(db.session.execute(select(*parts)).one())
    created = campaign.created_at.isoformat() if campaign.created_at else ""
    url = bind.url.render_as_string(hide_password=True)
    return (url, campaign.id, created, _frozen_digest(campaign), *values)


def burst_thresholds(campaign: Campaign) -> dict[str, float | int]:
    """The campaign's `burst` thresholds (survey parameters, CONTRACT defaults 11 / 5 / 10)."""
    p = params_of(campaign)
    return {
        "network_burst_count": int(p.burst_network_count),
        "burst_count": int(p.burst_device_count),
        "burst_minutes": float(p.burst_minutes),
    }


def flag_context_at(campaign: Campaign, fp: tuple) -> FlagContext:
    """The campaign-wide flag context for an already computed fingerprint (cached; the key
    holds the thresholds, so a campaign whose parameters change never reads old flags)."""
    thresholds = burst_thresholds(campaign)
    return RESULTS.get_or_make(
        ("flag_context", fp, tuple(sorted(thresholds.items()))),
        lambda: quality_flag_context(load_paradata(campaign), **thresholds),
    )


def flag_context(campaign: Campaign) -> FlagContext:
    """The campaign-wide part of the quality flags (cached like the flags): exports flag
    page by page with it instead of building the full frame with every answer."""
    return flag_context_at(campaign, fingerprint(campaign))


def frame_at(campaign: Campaign, fp: tuple) -> ResponseFrame:
    """The campaign's full response frame for an already computed fingerprint (cached): an
    earlier frame of the campaign still in memory is extended by the responses stored since
    (a busy campaign's first request after a new response reads one response, not all)."""
    return FRAMES.get_or_make(("frame", fp), lambda: _load_or_extend(campaign, fp))


#: the fingerprint's parts: (url, campaign, created, frozen digest) name the campaign and
#: what it froze; then the newest id per channel; then the exclusions' max id and count
_SAME_CAMPAIGN = slice(0, 4)
_EXCLUSIONS = slice(4 + len(CHANNELS), 6 + len(CHANNELS))


def _load_or_extend(campaign: Campaign, fp: tuple) -> ResponseFrame:
    earlier = FRAMES.matching(
        lambda key: key[0] == "frame" and key[1][_SAME_CAMPAIGN] == fp[_SAME_CAMPAIGN]
    )
    if earlier:
        # the one holding the most responses (its newest ids are the highest)
        (_kind, old_fp), frame = max(earlier, key=lambda item: len(item[1]))
        changed = old_fp[_EXCLUSIONS] != fp[_EXCLUSIONS]
        extended = extend_frame(campaign, frame, exclusions_changed=changed)
        if extended is not None:
            return extended
    return load_frame(campaign)


def cached(
    kind: str, campaign: Campaign, flt: ScoreFilter, make: Callable[[ResponseFrame], Any]
) -> Any:
    """`make(frame filtered by flt)`, cached until the campaign's fingerprint changes."""
    fp = fingerprint(campaign)
    return RESULTS.get_or_make(
        (kind, fp, flt.key()), lambda: make(flt.apply(frame_at(campaign, fp)))
    )


def cached_whole(kind: str, campaign: Campaign, key: tuple, make: Callable[[], Any]) -> Any:
    """`make()`, a result built from other cached results (outlets, periods), cached whole
    under one fingerprint: a warm request asks the database for the fingerprint once, not once
    per outlet or period."""
    return RESULTS.get_or_make((kind, fingerprint(campaign), *key), make)
