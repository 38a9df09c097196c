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
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cachetools import Cache, LRUCache
from flask import current_app, has_app_context
from sqlalchemy import func, select

from ...db import db, utcnow
from ...models import Campaign, Response, ResponseExclusion
from ...scoring.survey import CHANNELS
from ...survey_math import ResponseFrame
from ...survey_math.quality import FlagContext
from ...survey_math.quality import flag_context as quality_flag_context
from .. import ledger
from .adapters import params_of
from .filters import ScoreFilter
from .loading import clear_paradata, extend_frame, load_frame, load_paradata


class _Lru:
    """A bounded LRU map behind a lock; frames are large, so each kind has its own capacity.

    The value is made outside the lock: a slow load does not block readers of other keys (two
    threads missing the same key may both make it; the last one stored wins).
    """

    def __init__(self, capacity: int):
        self.data: LRUCache[Hashable, Any] = LRUCache(maxsize=capacity)
        self.lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is _MISSING:
            value = make()
            self.put(key, value)
        return value

    def get(self, key: Hashable) -> Any:
        """The value from memory (a use), else from disk (then kept in memory), else _MISSING."""
        with self.lock:
            try:
                return self.data[key]  # a hit counts as a use
            except KeyError:
                pass
        disk = _disk()
        value = disk.get((FORMAT, key), _MISSING) if disk is not None else _MISSING
        if value is not _MISSING:
            with self.lock:
                self.data[key] = value
        return value

    def put(self, key: Hashable, value: Any, disk: bool = True) -> None:
        """Keep the value in memory and (unless `disk` is false) in the disk cache."""
        store = _disk() if disk else None
        if store is not None:
            store.set((FORMAT, key), value)
        with self.lock:
            self.data[key] = value

    def drop(self, key: Hashable) -> None:
        """Forget the value in memory (a superseded frame)."""
        with self.lock:
            self.data.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()

    def has(self, key: Hashable) -> bool:
        """True when the value is in memory or on disk (made already)."""
        with self.lock:
            if key in self.data:
                return True
        disk = _disk()
        return disk is not None and (FORMAT, key) in disk

    def matching(self, match: Callable[[Any], bool]) -> list[tuple[Any, Any]]:
        """The (key, value) pairs in memory whose key matches."""
        with self.lock:  # Cache.__getitem__: a plain read, which does not reorder the LRU
            return [(k, Cache.__getitem__(self.data, k)) for k in list(self.data) if match(k)]


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
    clear_paradata()
    with _PREVIOUS_LOCK:
        _PREVIOUS.clear()
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
    the campaign's max exclusion id and count cover changes of `excluded` (an exclusion in
    another campaign changes nothing here). On PostgreSQL ids are not committed in order (a
    response may commit after one with a larger id), so the length of the campaign's ledger
    chain is added there: every response commits with its entry in that chain (verify-ledger
    names a response without one), so the length grows with every response, whatever its id
    (`ledger.chain_length`: two index probes; a count of the campaign's responses walked a
    million index entries on every request, 0.18 s warm). The database URL and the campaign's creation time keep two
    databases (or restarted ids) apart.
    """
    r, x = Response, ResponseExclusion

    def newest(channel: str):
        return (
            select(func.max(r.id))
            .where(r.campaign_id == campaign.id, r.channel == channel)
            .scalar_subquery()
        )

    parts = [newest(c) for c in CHANNELS]
    mine = x.campaign_id == campaign.id  # (campaign_id, id) index: this campaign's only
    parts += [
        select(func.max(x.id)).where(mine).scalar_subquery(),
        select(func.count(x.id)).where(mine).scalar_subquery(),
    ]
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        parts.append(ledger.chain_length(campaign.id))
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
    key = ("frame", fp)
    frame = FRAMES.get(key)
    if frame is _MISSING:
        frame, extended = _load_or_extend(campaign, fp)
        # an extended frame stays in memory only: written to disk it would be a copy of the
        # whole campaign for each new response (66 MB at a million), never read again
        FRAMES.put(key, frame, disk=not extended)
    return frame


#: the fingerprint's parts: (url, campaign, created, frozen digest) name the campaign and
#: what it froze; then the newest id per channel; then the exclusions' max id and count
_SAME_CAMPAIGN = slice(0, 4)
_EXCLUSIONS = slice(4 + len(CHANNELS), 6 + len(CHANNELS))


def _load_or_extend(campaign: Campaign, fp: tuple) -> tuple[ResponseFrame, bool]:
    """(the frame, whether it extends an earlier one in memory rather than loading it all)."""
    earlier = FRAMES.matching(
        lambda key: key[0] == "frame" and key[1][_SAME_CAMPAIGN] == fp[_SAME_CAMPAIGN]
    )
    if earlier:
        # the one holding the most responses (its newest ids are the highest)
        (kind, old_fp), frame = max(earlier, key=lambda item: len(item[1]))
        changed = old_fp[_EXCLUSIONS] != fp[_EXCLUSIONS]
        extended = extend_frame(campaign, frame, exclusions_changed=changed)
        if extended is not None:
            FRAMES.drop((kind, old_fp))  # superseded: its memory goes to other campaigns
            return extended, True
    return load_frame(campaign), False


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


# ── a slow whole result: the previous one while the new one is made ────────────────────────
#: (kind, campaign, key) → (fingerprint, value, seconds it took to make, when its data was
#: read): the newest made of each, in this worker (an LRU: a reader varying the filter cannot
#: grow it); the disk cache shares it between workers
_PREVIOUS: LRUCache[tuple, tuple] = LRUCache(maxsize=256)
_PREVIOUS_LOCK = threading.Lock()
#: results being refreshed by this worker (the disk cache's claim covers the other workers)
_REFRESHING: set[tuple] = set()
_CLAIM_SECONDS = 300  #: a claim left by a killed worker lapses after this


@dataclass(frozen=True)
class Whole:
    """A whole result and how current it is: `stale` when it was read before the newest
    responses (and a refresh is due); `as_of` when its data was read."""

    value: Any
    as_of: datetime
    stale: bool = False


def whole_or_previous(
    kind: str,
    campaign: Campaign,
    key: tuple,
    make: Callable[[], Any],
    stale_after: float | None = None,
    max_age: timedelta = timedelta(minutes=30),
) -> Whole:
    """`cached_whole`, except that when the current result is not made yet and the previous
    one (same campaign, what it froze, key) took at least `stale_after` seconds to make, is
    younger than `max_age` and differs only by responses added since (not by exclusions: an
    auditor who excluded one sees its effect), that one is returned, marked stale, instead of
    making the reader wait: the caller then calls `refresh_whole` after answering. None:
    always current, nothing recorded."""
    if stale_after is None:
        return Whole(cached_whole(kind, campaign, key, make), utcnow())
    fp = fingerprint(campaign)
    ident = (kind, fp[_SAME_CAMPAIGN], key)
    if not RESULTS.has((kind, fp, *key)):
        prev = _previous(ident)
        if prev is not None:
            old_fp, value, took, as_of = prev
            if (
                old_fp != fp
                and took is not None
                and took >= stale_after
                and utcnow() - as_of <= max_age
                and not _excluded_in(old_fp, fp)
            ):
                return Whole(value, as_of, stale=True)
    return _make_whole(kind, fp, ident, key, make)


def _excluded_in(old_fp: tuple, fp: tuple) -> bool:
    """True when an exclusion or reinstatement of this campaign was recorded since `old_fp`
    (the fingerprint's exclusion part is the campaign's own: one elsewhere does not make this
    campaign's reader wait)."""
    return old_fp[_EXCLUSIONS] != fp[_EXCLUSIONS]


def refresh_whole(kind: str, campaign: Campaign, key: tuple, make: Callable[[], Any]) -> None:
    """Make the current result (after a stale one was served): one refresh of a result at a
    time across the workers, whatever responses arrive meanwhile; the claim is released when
    it ends, failed or not."""
    fp = fingerprint(campaign)
    ident = (kind, fp[_SAME_CAMPAIGN], key)
    if RESULTS.has((kind, fp, *key)) or not _claim(ident):
        return
    try:
        _make_whole(kind, fp, ident, key, make)
    finally:
        _release(ident)


def _make_whole(kind, fp, ident, key, make) -> Whole:
    as_of = utcnow()
    made_here = not RESULTS.has((kind, fp, *key))
    started = time.monotonic()
    value = RESULTS.get_or_make((kind, fp, *key), make)
    took = time.monotonic() - started if made_here else None
    with _PREVIOUS_LOCK:
        mine = _PREVIOUS.get(ident)
    if mine is None or mine[0] != fp:
        if took is None and mine is not None:  # found made: keep what making it took before
            took = mine[2]
        record = (fp, value, took, as_of)
        with _PREVIOUS_LOCK:
            _PREVIOUS[ident] = record
        disk = _disk()
        if disk is not None:
            disk.set(("previous", FORMAT, ident), record)
    return Whole(value, as_of)


def _previous(ident: tuple):
    """The newest record of this result: this worker's, or the disk's when that is newer."""
    with _PREVIOUS_LOCK:
        mine = _PREVIOUS.get(ident)
    disk = _disk()
    shared = disk.get(("previous", FORMAT, ident)) if disk is not None else None
    if mine is None or (shared is not None and shared[3] > mine[3]):
        return shared
    return mine


def _claim(ident: tuple) -> bool:
    """True for the one refresh of this result allowed to run now (this worker's and, through
    the disk cache, every worker's)."""
    with _PREVIOUS_LOCK:
        if ident in _REFRESHING:
            return False
        _REFRESHING.add(ident)
    disk = _disk()
    if disk is not None and not disk.add(
        ("refreshing", FORMAT, ident), True, expire=_CLAIM_SECONDS
    ):
        with _PREVIOUS_LOCK:
            _REFRESHING.discard(ident)
        return False
    return True


def _release(ident: tuple) -> None:
    with _PREVIOUS_LOCK:
        _REFRESHING.discard(ident)
    disk = _disk()
    if disk is not None:
        disk.delete(("refreshing", FORMAT, ident))
