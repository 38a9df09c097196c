"""Answers packed as the database stores them: each question a fixed number of ASCII characters.

Most kinds take one character ('0'-'9', 'A'-'Z' = 10-35, '-' = not applicable); a kind may take
more (a multiple-choice question keeps its selection as a bit set, five options per character).
Each kind says how wide its answer is (surveyapp/question_kinds); `widths` is that, question by
question, and a bare count n means n one-character questions (every questionnaire before the
choice kinds).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The character stored for "not applicable / not answered" (不适用/不了解).
NOT_APPLICABLE = "-"
MISSING = -1  #: the int8 code of a not-applicable or missing answer in the answers matrix
#: value v is stored as ALPHABET[v]: '0'..'9' = 0..9, 'A' = 10 … 'Z' = 35
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = ALPHABET[:11]  # what pack_answers writes: the numbers a likert or NPS answer takes
_INVALID = -2

Widths = int | Sequence[int]

# byte -> int8 answer code; _INVALID marks a byte no answer is ever stored as
_DECODE = np.full(256, _INVALID, dtype=np.int8)
for _v, _c in enumerate(ALPHABET):
    _DECODE[ord(_c)] = _v
_DECODE[ord(NOT_APPLICABLE)] = MISSING
_DECODE[0] = MISSING  # NUL padding of strings shorter than the questionnaire


def pack_answers(values: Sequence[int | None]) -> str:
    """Pack answers in questionnaire order: 0-9 as digits, 10 as 'A', None as '-'."""
    out = []
    for position, value in enumerate(values):
        if value is None or value == MISSING:
            out.append(NOT_APPLICABLE)
        elif isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"answer {position + 1}: {value!r} is not an integer 0-10 or None")
        elif 0 <= value <= 10:
            out.append(_DIGITS[value])
        else:
            raise ValueError(f"answer {position + 1}: {value} is outside 0-10")
    return "".join(out)


def widths_of(questions) -> tuple[int, ...]:
    """Each question's width in characters (its `width`, 1 when it has none)."""
    return tuple(int(getattr(q, "width", 1)) for q in questions)


def _layout(widths: Widths) -> tuple[int, tuple[int, ...] | None]:
    """(total characters, each question's offset — None when every question is one wide)."""
    if isinstance(widths, int | np.integer):
        if widths < 0:
            raise ValueError("n_questions must be >= 0")
        return int(widths), None
    widths = tuple(int(w) for w in widths)
    if any(w < 1 for w in widths):
        raise ValueError("every question is at least one character wide")
    if all(w == 1 for w in widths):
        return len(widths), None
    offsets = tuple(int(x) for x in np.cumsum((0, *widths[:-1])))
    return sum(widths), offsets


def total_width(widths: Widths) -> int:
    """How many characters a whole response takes."""
    return _layout(widths)[0]


def decode(raw: np.ndarray) -> np.ndarray:
    """ASCII bytes of packed answers → int8 values: -1 for '-' (or NUL), -2 for a byte no
    answer is stored as."""
    return _DECODE[raw]


def _codes(packed: Sequence[str] | np.ndarray, total: int) -> np.ndarray:
    n = len(packed)
    if n == 0 or total == 0:
        return np.full((n, total), MISSING, dtype=np.int8)
    raw = _fixed_width_bytes(packed, n, total)
    codes = decode(raw).reshape(n, total)
    if (codes == _INVALID).any():
        row = int(np.nonzero((codes == _INVALID).any(axis=1))[0][0])
        raise ValueError(f"packed answers of row {row}: unknown character in {packed[row]!r}")
    return codes


def unpack_answers(packed: Sequence[str] | np.ndarray, widths: Widths) -> np.ndarray:
    """Decode packed answer strings into an (n, n_questions) int8 matrix, -1 = not applicable.

    `widths`: the number of one-character questions, or each question's width. A question
    wider than one character (a multiple choice) reads -1 here: `unpack_fields` gives its
    characters. Strings shorter than the questionnaire are padded with '-' (questions added
    later were not asked); a longer string or an unknown character raises ValueError.
    """
    total, offsets = _layout(widths)
    codes = _codes(packed, total)
    if offsets is None:
        return codes
    out = codes[:, list(offsets)].copy()
    wide = [i for i, w in enumerate(widths) if int(w) > 1]
    out[:, wide] = MISSING
    return out


def unpack_fields(packed: Sequence[str] | np.ndarray, widths: Widths, index: int) -> np.ndarray:
    """The (n, width) character codes of question `index` (-1 = '-'), for a wide kind to read."""
    total, offsets = _layout(widths)
    codes = _codes(packed, total)
    start = offsets[index] if offsets is not None else index
    width = 1 if offsets is None else int(tuple(widths)[index])
    return codes[:, start : start + width]


def field_numbers(codes: np.ndarray) -> np.ndarray:
    """(n, width) character codes of a wide field → the number its base-32 digits write, the
    first character lowest (a multiple choice's bit set, five options a character); -1 where
    the whole field is '-' (not answered, 不适用)."""
    codes = np.asarray(codes, dtype=np.int64)
    out = np.zeros(len(codes), dtype=np.int64)
    for i in range(codes.shape[1]):
        out |= np.clip(codes[:, i], 0, 31) << (5 * i)
    return np.where((codes < 0).all(axis=1), -1, out)


def unpack_wide(packed: Sequence[str] | np.ndarray, widths: Widths) -> dict[int, np.ndarray]:
    """Question index → the numbers of its wide fields (`field_numbers`), for every question
    wider than one character; {} when there is none (no decoding then)."""
    total, offsets = _layout(widths)
    if offsets is None:
        return {}
    codes = _codes(packed, total)
    widths = tuple(int(w) for w in widths)
    return {
        i: field_numbers(codes[:, offsets[i] : offsets[i] + w])
        for i, w in enumerate(widths)
        if w > 1
    }


def _fixed_width_bytes(packed: Sequence[str] | np.ndarray, n: int, width: int) -> np.ndarray:
    """Return the n*width bytes of the strings, shorter ones NUL-padded, as a uint8 array."""
    if isinstance(packed, np.ndarray) and packed.dtype.kind in "SU":
        arr = packed if packed.dtype.kind == "S" else np.char.encode(packed, "ascii")
        if arr.dtype.itemsize > width and (np.char.str_len(arr) > width).any():
            raise ValueError(f"packed answers longer than the {width} questions")
        return np.frombuffer(arr.astype(f"S{width}").tobytes(), dtype=np.uint8)
    if not isinstance(packed, list | tuple):
        packed = list(packed)
    lengths = np.fromiter(map(len, packed), dtype=np.int64, count=n)
    if (lengths > width).any():
        row = int(np.argmax(lengths > width))
        raise ValueError(f"packed answers of row {row} longer than the {width} questions")
    if (lengths == width).all():  # the usual case: one join, one buffer, no per-row work
        buf = "".join(packed).encode("ascii")
        return np.frombuffer(buf, dtype=np.uint8)
    return np.frombuffer(np.array(packed, dtype=f"S{width}").tobytes(), dtype=np.uint8)
