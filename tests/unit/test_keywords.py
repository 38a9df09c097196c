"""The words customers use most (issue 14): jieba's words, counted once per comment."""

from __future__ import annotations

from surveyapp.services.keywords import MIN_COMMENTS, top_words, words_of

COMMENTS = [
    "维修师傅上门很准时，态度很好，就是收费有点贵。",
    "等了三天才来，太慢了，希望改进。",
    "电话一直打不通，客服态度差。",
    "师傅态度好，上门快，态度真的好",
]


def test_words_of_one_comment():
    words = words_of(COMMENTS[0])
    assert {"师傅", "上门", "准时", "态度", "收费", "贵"} <= words
    # function words, courtesy and single characters that say nothing are left out
    assert not words & {"的", "很", "就是", "有点", "，", "。", "了"}
    assert "太慢" in words_of(COMMENTS[1]) and "希望" not in words_of(COMMENTS[1])


def test_a_word_counts_once_per_comment_most_used_first():
    ranked = top_words(COMMENTS)
    # 态度 in 3 comments (twice in the last one: still one customer)
    assert ranked[0] == ("态度", 3)
    assert dict(ranked)["上门"] == 2 and dict(ranked)["师傅"] == 2
    assert all(n >= MIN_COMMENTS for _w, n in ranked)  # 客服 (once) is not shown
    assert "客服" not in dict(ranked)
    # ties by the word, so the order never depends on the input order
    assert top_words(list(reversed(COMMENTS))) == ranked


def test_empty_and_latin():
    assert top_words([]) == []
    assert words_of("  ") == set()
    assert words_of("APP 闪退") >= {"app", "闪退"}
