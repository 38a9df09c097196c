"""services/scores/cache.py: the fingerprint-keyed LRU is bounded, least recently used first."""

from __future__ import annotations

import threading

from surveyapp.services.scores.cache import _Lru


def test_a_hit_does_not_make_the_value_again():
    lru = _Lru(2)
    calls = []
    assert lru.get_or_make("a", lambda: calls.append("a") or 1) == 1
    assert lru.get_or_make("a", lambda: calls.append("a") or 2) == 1
    assert calls == ["a"]


def test_capacity_is_bounded_and_the_least_recently_used_goes_first():
    lru = _Lru(2)
    lru.get_or_make("a", lambda: 1)
    lru.get_or_make("b", lambda: 2)
    lru.get_or_make("a", lambda: 0)  # a hit: "a" becomes the most recently used
    lru.get_or_make("c", lambda: 3)  # evicts "b"
    assert set(lru.data) == {"a", "c"}
    assert lru.get_or_make("b", lambda: 4) == 4  # made again


def test_clear_forgets_everything():
    lru = _Lru(4)
    lru.get_or_make("a", lambda: 1)
    lru.clear()
    assert len(lru.data) == 0
    assert lru.get_or_make("a", lambda: 2) == 2


def test_concurrent_use_stays_within_capacity():
    lru = _Lru(8)

    def work(offset: int) -> None:
        for i in range(500):
            key = (offset + i) % 32
            assert lru.get_or_make(key, lambda key=key: key * 10) == key * 10

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(lru.data) <= 8
