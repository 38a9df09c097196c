"""The scheme files: every shipped scheme loads and adds up; broken files are refused clearly."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from surveyapp import questionnaire as qbank
from surveyapp.schemes import (
    SCHEME_DIR,
    SchemeError,
    list_schemes,
    load_scheme,
    load_scheme_file,
)
from surveyapp.scoring import REGISTRY, SurveyParams

SHIPPED = {"cqm-2019": 8, "dni-2026": 50, "icas-27922": 51, "xh-2025": 68}


def test_every_shipped_scheme_loads():
    schemes = list_schemes()
    assert {s.id: len(s.items) for s in schemes} == SHIPPED


@pytest.mark.parametrize("scheme_id", sorted(SHIPPED))
def test_points_add_up(scheme_id):
    scheme = load_scheme(scheme_id)
    assert sum((i.points for i in scheme.items), Decimal(0)) == scheme.max_points
    assert sum((t.points for t in scheme.first_level), Decimal(0)) == scheme.max_points
    for group in scheme.groups:
        children = [i.points for i in scheme.items if i.group == group.id]
        children += [g.points for g in scheme.groups if g.parent == group.id]
        assert sum(children, Decimal(0)) == group.points, group.id


@pytest.mark.parametrize("scheme_id", sorted(SHIPPED))
def test_scheme_metadata(scheme_id):
    scheme = load_scheme(scheme_id)
    raw = (SCHEME_DIR / f"{scheme_id}.toml").read_bytes()
    assert scheme.sha256 == hashlib.sha256(raw).hexdigest()
    assert isinstance(scheme.survey, SurveyParams)
    # each scheme names its bank, which loads (valid, ≥ 3 scored questions per dimension)
    assert scheme.questionnaire in qbank.bank_names()
    assert qbank.load_bank(scheme.questionnaire).scored
    assert scheme.title
    assert all(lv.criteria for lv in scheme.levels)
    assert all(c.clause for lv in scheme.levels for c in lv.criteria)
    assert all(i.clause for i in scheme.items)
    assert b"AMBIGUITY:" in raw


def test_max_points():
    assert {s.id: s.max_points for s in list_schemes()} == {
        "cqm-2019": 100,
        "dni-2026": 100,
        "icas-27922": 100,
        "xh-2025": 200,
    }


def test_first_level_indicators_of_cqm():
    scheme = load_scheme("cqm-2019")
    assert [(t.id, t.points) for t in scheme.first_level] == [
        ("4.1.1", 10),
        ("4.1.2", 15),
        ("4.1.3", 10),
        ("4.1.4", 25),
        ("4.1.5", 15),
        ("4.1.6", 7),
        ("4.1.7", 8),
        ("4.1.8", 10),
    ]


def test_dni_items_carry_dimension_codes():
    scheme = load_scheme("dni-2026")
    codes = [i.dimension for i in scheme.items]
    assert codes[0] == "A1" and "B24" in codes and "C8" in codes and "A18" in codes
    assert scheme.item_map["5.2.4.3"].points == 3


def test_exclusion_rules():
    dni, icas, xh, cqm = (load_scheme(s) for s in ("dni-2026", "icas-27922", "xh-2025", "cqm-2019"))
    for scheme in (dni, icas):
        assert {i.id for i in scheme.items if i.excludable} == {
            i.id for i in scheme.items if i.id.startswith("5.2.")
        }
    # issue 13: xh-2025's 服务结果 items (the survey-fed ones) are never excluded
    assert {i.id for i in xh.items if not i.excludable} == {"36733.3.1", "36733.3.2"}
    assert {i.id for i in xh.items if not i.excludable} == {
        i.id for i in xh.items if i.mode == "survey"
    }
    assert not any(i.excludable for i in cqm.items)


def test_special_deductions_and_bonus_per_scheme():
    enabled = {
        s.id: (s.special_deductions.enabled, s.special_bonus.enabled) for s in list_schemes()
    }
    assert enabled == {
        "cqm-2019": (False, False),  # seed 001 defines none
        "dni-2026": (True, True),
        "icas-27922": (True, True),
        "xh-2025": (False, False),  # seed 004 defines none (issue 13)
    }
    assert load_scheme("xh-2025").special_deductions.clause == "seed 004 defines none"


def test_rounding_per_scheme():
    # icas-27922 truncates as seed 002 备注3 prints 88.88 (issue 13 point 5); the others half up
    assert {s.id: s.rounding for s in list_schemes()} == {
        "cqm-2019": "half_up",
        "dni-2026": "half_up",
        "icas-27922": "down",
        "xh-2025": "half_up",
    }


def test_cqm_major_complaints_counted_over_24_months_at_every_level():
    months = {
        lv.id: int(c.params["months"])
        for lv in load_scheme("cqm-2019").levels
        for c in lv.criteria
        if c.params.get("event") == "major_complaint"
    }
    assert months == {"five_star": 24, "four_star": 24, "three_star": 24, "two_star": 24}


def test_survey_thresholds_come_from_the_scheme():
    assert load_scheme("cqm-2019").survey.thresholds == (60.0, 70.0, 80.0, 90.0)
    assert load_scheme("cqm-2019").survey.channel_weights == {"in_person": 0.5, "online": 0.5}


def test_unknown_scheme():
    with pytest.raises(SchemeError, match="unknown scheme 'nope'"):
        load_scheme("nope")


def test_directory_override(tmp_path):
    (tmp_path / "cqm-2019.toml").write_bytes((SCHEME_DIR / "cqm-2019.toml").read_bytes())
    assert [s.id for s in list_schemes(tmp_path)] == ["cqm-2019"]


# ---- broken files ----------------------------------------------------------------------------

GOOD = """
id = "tiny"
title = "小方案"
source = "test"
version = "1"
max_points = 10

[fallback]
id = "fail"
name = "不合格"

[[groups]]
id = "1"
title = "组"
points = 10

[[items]]
id = "1.1"
title = "甲"
group = "1"
points = 4

[[items]]
id = "1.2"
title = "乙"
group = "1"
points = 6

[[levels]]
id = "compliant"
name = "达标级"

  [[levels.criteria]]
  kind = "score_at_least"
  min = 7
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path):
    scheme = load_scheme_file(write(tmp_path, GOOD))
    assert scheme.max_points == 10
    assert scheme.levels[0].criteria[0].params["min"] == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("points = 6", "points = 5"),
            "tiny.toml: group 1: children's points add up to 9, not the group's 10",
        ),
        (('id = "1.2"', 'id = "1.1"'), "tiny.toml: item 1.1: duplicate id"),
        (
            ('kind = "score_at_least"', 'kind = "score_above"'),
            "tiny.toml: level compliant criterion 1: unknown criterion kind 'score_above'",
        ),
        (
            ('  [[levels.criteria]]\n  kind = "score_at_least"\n  min = 7\n', ""),
            "tiny.toml: level compliant: level with no criteria",
        ),
        (("min = 7", "minimum = 7"), "unknown parameter 'minimum'"),
        (
            ("max_points = 10", "max_points = 12"),
            "tiny.toml: max_points: first-level points add up to 10, not 12",
        ),
        (
            ('group = "1"\npoints = 4', 'group = "9"\npoints = 4'),
            "tiny.toml: item 1.1: unknown group '9'",
        ),
        (('id = "tiny"', 'id = "other"'), "differs from the file name"),
        (('id = "compliant"', 'id = "gold"'), "unknown level id"),
        (('title = "甲"', 'title = "甲"\nmode = "magic"'), "item 1.1: unknown mode 'magic'"),
        (
            ('title = "甲"', 'title = "甲"\ncolour = 1'),
            "unknown key(s) colour",
        ),
        (("max_points = 10", 'max_points = 10\nrounding = "up"'), "rounding"),
        (('version = "1"', "version = "), "not valid TOML"),
    ],
)
def test_broken_files_are_refused(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(SchemeError) as e:
        load_scheme_file(write(tmp_path, GOOD.replace(old, new, 1)))
    assert message in str(e.value)
    assert str(e.value).startswith("tiny.toml: ")


@pytest.mark.parametrize("value", ['"one"', "-1", "true", "1.5"])
def test_bonus_max_count_must_be_a_count(tmp_path, value):
    text = GOOD + f"\n[special_bonus]\nenabled = true\nmax_count = {value}\n"
    with pytest.raises(
        SchemeError, match=r"\[special_bonus\]\.max_count: expected a whole number >= 0"
    ):
        load_scheme_file(write(tmp_path, text))


def test_criterion_parameters_are_checked(tmp_path):
    text = GOOD.replace("min = 7", "min = 7\n  ").replace(
        'kind = "score_at_least"', 'kind = "survey_at_least"\n  measure = "T"'
    )
    with pytest.raises(SchemeError, match="expected one of S, S_in_person, S_online"):
        load_scheme_file(write(tmp_path, text))


def test_every_registered_kind_is_documented():
    docs = (SCHEME_DIR.parent / "docs" / "schemes.md").read_text(encoding="utf-8")
    for name in REGISTRY:
        assert f"`{name}`" in docs


def test_xh_has_its_own_bank_citing_its_items():
    """xh-2025 asks about 客观结果's six descriptions and the 服务过程 items (seed 004 表2)."""
    scheme = load_scheme("xh-2025")
    bank = qbank.load_bank(scheme.questionnaire)
    assert scheme.questionnaire == "xh-2025" != load_scheme("cqm-2019").questionnaire
    items = {i.id for i in scheme.items}
    assert {q.clause for q in bank.scored} <= items
    assert next(q for q in bank.questions if q.id == "overall").clause == "36733.3.1"


def test_gbt_27922_schemes_share_a_bank_on_their_customer_facing_clauses():
    """dni-2026 and icas-27922 ask about the GB/T 27922 5.2/5.3 clauses they audit."""
    for scheme_id in ("dni-2026", "icas-27922"):
        scheme = load_scheme(scheme_id)
        assert scheme.questionnaire == "gbt-27922"
        bank = qbank.load_bank(scheme.questionnaire)
        clauses = {q.clause for q in bank.scored}
        assert clauses <= {i.id for i in scheme.items}
        assert all(c.startswith(("5.2.", "5.3.")) for c in clauses)


def test_every_shipped_scheme_has_its_title_in_the_vocabulary():
    """The vocabulary carries each shipped scheme's title (for its English, in the
    catalogues): it must be the title the scheme file gives, word for word."""
    from surveyapp.schemes import list_schemes
    from surveyapp.vocabulary import SCHEMES

    shipped = {s.id: s.title for s in list_schemes()}
    assert shipped == SCHEMES
