"""Answers packed one ASCII character per question, as the database stores them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The character stored for "not applicable / not answered" (不适用/不了解).
NOT_APPLICABLE = "-"
MISSING = -1  #: the int8 code of a not-applicable or missing answer in the answers matrix
_DIGITS = "0123456789A"  # value v is stored as _DIGITS[v]: '0'..'9' = 0..9, 'A' = 10
_INVALID = -2

# byte -> int8 answer code; _INVALID marks a byte no answer is ever stored as
_DECODE = np.full(256, _INVALID, dtype=np.int8)
for _v, _c in enumerate(_DIGITS):
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


def unpack_answers(packed: Sequence[str] | np.ndarray, n_questions: int) -> np.ndarray:
    """Decode packed answer strings into an (n, n_questions) int8 matrix, -1 = not applicable.

    Strings shorter than the questionnaire are padded with '-' (questions added later were not
    asked); a longer string or an unknown character raises ValueError.
    """
    n = len(packed)
    if n_questions < 0:
        raise ValueError("n_questions must be >= 0")
    if n == 0 or n_questions == 0:
        return np.full((n, n_questions), MISSING, dtype=np.int8)
    raw = _fixed_width_bytes(packed, n, n_questions)
    codes = _DECODE[raw].reshape(n, n_questions)
    if (codes == _INVALID).any():
        row = int(np.nonzero((codes == _INVALID).any(axis=1))[0][0])
        raise ValueError(f"packed answers of row {row}: unknown character in {packed[row]!r}")
    return codes


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
