"""The words customers use most in their comments: Chinese word segmentation with jieba.

jieba (the segmenter most Chinese text tools build on) cuts each comment into words with its
default dictionary; a word counts once per comment (how many customers said it, not how often
one repeated it). Single characters are dropped, except the few that carry a complaint on
their own (慢, 贵, 差 …), as are function words and courtesy phrases (STOP_WORDS). The count runs
over the newest WINDOW comments of the filter: 2,000 short comments take about 0.25 s.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable

#: newest comments counted (the rest are older than what a manager acts on now)
WINDOW = 2000
#: words shown
TOP = 20
#: a word must come from at least this many comments to be shown
MIN_COMMENTS = 2
#: single characters that are a complaint or a praise on their own
SINGLE = frozenset("慢贵差脏乱吵冷热远难坏漏臭久快好")
#: words that say nothing about the service
STOP_WORDS = frozenset(
    """
    的 了 是 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 一个
    一下 一些 一点 有点 很 也 都 就 还 又 再 才 在 和 与 及 或 但 但是
    而且 并且 因为 所以 如果 虽然 然后 还是 就是 不是 没有 有 没 不 非常
    比较 特别 真的 觉得 感觉 希望 建议 可以 能够 应该 需要 已经 一直 什么
    怎么 为什么 这样 那样 这么 那么 时候 现在 以后 之前 之后 今天 昨天 一次
    每次 谢谢 感谢 你好 您好 辛苦 其他 没什么 无 暂无 满意 总体 整体 服务
    问题 公司
    """.split()  # noqa: SIM905 - a list of words, read as one
)
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")
_ready = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, its dictionary loaded once per process (about a second, then cached on disk)."""
    global _jieba
    with _ready:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" on every start
            jieba.initialize()
            _jieba = jieba
    return _jieba


def words_of(text: str) -> set[str]:
    """The distinct words of one comment that say something (lower-cased Latin)."""
    out = set()
    for token in _segmenter().cut(text):
        word = token.strip().lower()
        if not word or not _WORD.match(word) or word in STOP_WORDS or word.isdigit():
            continue
        if len(word) == 1 and word not in SINGLE:
            continue
        out.add(word)
    return out


def top_words(comments: Iterable[str], top: int = TOP) -> list[tuple[str, int]]:
    """(word, comments using it), most used first, then by the word; at least MIN_COMMENTS."""
    counts: Counter[str] = Counter()
    for text in comments:
        counts.update(words_of(text))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(w, n) for w, n in ranked if n >= MIN_COMMENTS][:top]
