"""Packed answers: one ASCII character per question ('0'-'9', 'A' = 10, '-' = not applicable)."""

from __future__ import annotations

import numpy as np
import pytest

from surveyapp.survey_math import pack_answers, unpack_answers


def test_pack_answers_maps_values_and_none():
    assert pack_answers([5, 4, None, 0, 10, 1]) == "54-0A1"
    assert pack_answers([]) == ""


@pytest.mark.parametrize("bad", [11, -2, 3.5, "5", True])
def test_pack_answers_rejects_non_answers(bad):
    with pytest.raises(ValueError, match="answer 2"):
        pack_answers([5, bad])


def test_round_trip_every_value():
    rows = [[v, None, 10 - v if v <= 10 else None] for v in range(11)]
    packed = [pack_answers(r) for r in rows]
    out = unpack_answers(packed, 3)
    assert out.dtype == np.int8
    expected = np.array([[-1 if x is None else x for x in r] for r in rows], dtype=np.int8)
    np.testing.assert_array_equal(out, expected)
    assert [pack_answers([None if x < 0 else int(x) for x in r]) for r in out] == packed


def test_short_strings_are_padded_with_not_applicable():
    out = unpack_answers(["54", "5432", ""], 4)
    np.testing.assert_array_equal(out, [[5, 4, -1, -1], [5, 4, 3, 2], [-1, -1, -1, -1]])


def test_numpy_string_arrays_are_accepted():
    np.testing.assert_array_equal(unpack_answers(np.array(["5-", "A0"]), 2), [[5, -1], [10, 0]])
    np.testing.assert_array_equal(unpack_answers(np.array([b"5-", b"A"]), 2), [[5, -1], [10, -1]])


def test_too_long_or_unknown_characters_are_errors():
    with pytest.raises(ValueError, match="longer"):
        unpack_answers(["555"], 2)
    with pytest.raises(ValueError, match="row 1"):
        unpack_answers(["55", "5x"], 2)


def test_empty_input_gives_an_empty_matrix():
    assert unpack_answers([], 5).shape == (0, 5)


def test_unpack_is_vectorized_on_many_rows():
    rng = np.random.default_rng(0)
    values = rng.integers(-1, 11, size=(50_000, 22))
    digits = np.frombuffer(b"0123456789A", dtype=np.uint8)
    chars = np.where(values < 0, ord("-"), digits[np.clip(values, 0, 10)]).astype(np.uint8)
    packed = chars.view("S22").ravel().astype(str).tolist()
    np.testing.assert_array_equal(unpack_answers(packed, 22), values)
