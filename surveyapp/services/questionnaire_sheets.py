"""Questionnaires in a spreadsheet: the XLSX template of docs/questionnaire.md, read and written.

Sheet `survey`, one question per row in page order: `id`, `kind`, `dimension` (empty for
unscored kinds), `text_zh`, `text_en`, `required` (yes/no), then optional `choices` (the list
a choice question takes its options from), `clause` (the scheme clause a scored question
probes) and `show_if` (display logic: `q3 <= 2`, `q9 has 4`; question_kinds/conditions.py).
Sheet `choices`: `list`, `value` (the option's code, a whole number 1–35), `label_zh`,
`label_en`. More columns may follow and are ignored; header names are matched without regard
to case or spaces. What each kind allows is its own (surveyapp/question_kinds).

Every refusal names the sheet, the spreadsheet row (header = row 1) and the column, in Chinese
first (`SheetError.zh`) and in English (`str(error)`), and nothing is stored.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .. import questionnaire as qbank
from ..exports.cells import neutralize
from ..question_kinds import KINDS, ConditionError, parse_condition
from ..scoring.survey import DIMENSION_NAMES_ZH, DIMENSIONS, Choice, Question
from ..vocabulary import QUESTION_KINDS

SURVEY_COLUMNS = ("id", "kind", "dimension", "text_zh", "text_en", "required")
OPTIONAL_COLUMNS = ("choices", "clause", "show_if")
CHOICE_COLUMNS = ("list", "value", "label_zh", "label_en")
#: a scored dimension needs at least this many questions (the issue's rule for designed
#: questionnaires; the built-in banks keep three, seed 001 §4.3)
MIN_PER_DIMENSION = 2
MAX_BYTES = 5 * 2**20
#: columns read per row and rows of the choices sheet: a sheet padded wide or long must not
#: hold a worker
MAX_COLUMNS = 40
MAX_CHOICE_ROWS = 5000
_YES = {"yes": True, "y": True, "是": True, "true": True, "no": False, "n": False, "否": False}
_YES["false"] = False
MAX_CHOICE_VALUE = 35
_CODE = re.compile(r"[0-9]{1,2}")  #: an option's code as written (1–35 checked after)


@dataclass
class SheetError(ValueError):
    """Where a sheet is wrong: sheet, row (1 = header), column, and what, in zh and en."""

    sheet: str
    row: int | None
    column: str | None
    zh: str
    en: str

    def where_zh(self) -> str:
        parts = [f"工作表 {self.sheet}"]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"{self.column} 列")
        return " ".join(parts)

    def where_en(self) -> str:
        parts = [f"sheet {self.sheet}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def line(self) -> str:
        """One line for the CLI: the Chinese, then the English."""
        return f"{self.where_zh()}：{self.zh}（{self.where_en()}: {self.en}）"

    def __str__(self) -> str:
        return f"{self.where_en()}: {self.en}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # an export prefixes ' to text a spreadsheet would run as a formula: take it off again
    if text.startswith("'") and neutralize(text[1:]) == text:
        text = text[1:]
    return text


def _header(ws, sheet: str, needed: tuple[str, ...]) -> dict[str, int]:
    rows = ws.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True)
    first = next(rows, None) or ()
    names = {_cell(v).lower().replace(" ", ""): i for i, v in enumerate(first) if _cell(v)}
    for column in needed:
        if column not in names:
            raise SheetError(
                sheet, 1, column, f"缺少表头 {column}", f"the header {column} is missing"
            )
    return names


def _workbook(data: bytes):
    if len(data) > MAX_BYTES:
        raise SheetError("-", None, None, "文件超过 5 MB", "the file is larger than 5 MB")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise SheetError(
            "-", None, None, "不是 XLSX 文件", f"not an XLSX workbook ({type(e).__name__})"
        ) from None


def _choices(wb) -> dict[str, list[Choice]]:
    if "choices" not in wb.sheetnames:
        return {}
    ws = wb["choices"]
    cols = _header(ws, "choices", CHOICE_COLUMNS)
    lists: dict[str, list[dict]] = {}
    rows = ws.iter_rows(
        min_row=2, max_row=MAX_CHOICE_ROWS + 1, max_col=MAX_COLUMNS, values_only=True
    )
    for r, values in enumerate(rows, start=2):
        row = {c: _cell(values[i]) if i < len(values) else "" for c, i in cols.items()}
        if not any(row.get(c) for c in CHOICE_COLUMNS):
            continue
        for c in CHOICE_COLUMNS:
            if not row.get(c):
                raise SheetError("choices", r, c, "不能为空", "must not be empty")
        value = row["value"]
        if not (_CODE.fullmatch(value) and 1 <= int(value) <= MAX_CHOICE_VALUE):
            raise SheetError(
                "choices",
                r,
                "value",
                f"选项代码应为 1–{MAX_CHOICE_VALUE} 的整数，而不是 “{value}”",
                f"an option's value is a whole number 1–{MAX_CHOICE_VALUE}, not {value!r}",
            )
        options = lists.setdefault(row["list"], [])
        if any(c.value == int(value) for c in options):
            raise SheetError(
                "choices",
                r,
                "value",
                f"列表 {row['list']} 中代码 {value} 重复",
                f"value {value} repeats in the list {row['list']}",
            )
        for c in ("label_zh", "label_en"):
            if len(row[c]) > 200:
                raise SheetError("choices", r, c, "选项文字不能超过 200 字", "over 200 characters")
        options.append(Choice(int(value), row["label_zh"], row["label_en"]))
    return lists


def _required(row: dict, kind: str, bad) -> bool:
    answer = row.get("required", "").lower()
    if answer not in _YES:
        raise bad(
            "required", f"应填 yes 或 no，而不是 “{row.get('required', '')}”", "use yes or no"
        )
    if not KINDS[kind].may_require and _YES[answer]:
        # a customer may always leave free text empty (the page and the API never demand it)
        raise bad("required", "文字题只能选填（填 no）", "a text question is optional: use no")
    return _YES[answer]


def _question(row: dict, r: int, lists: dict, sheet: str = "survey") -> Question:
    def bad(column: str, zh: str, en: str) -> SheetError:
        return SheetError(sheet, r, column, zh, en)

    qid = row.get("id", "")
    if not qbank.valid_id(qid):
        raise bad("id", f"题号 “{qid}” 须以小写字母开头，只含小写字母、数字和 _", f"id {qid!r}")
    kind, dimension = _kind_and_dimension(row, bad)
    it = KINDS[kind]
    for column in ("text_zh", "text_en"):
        if not row.get(column):
            raise bad(column, "题目文字不能为空", "the question text must not be empty")
        if len(row[column]) > 500:
            raise bad(column, "题目文字不能超过 500 字", "the question text is over 500 characters")
    required = _required(row, kind, bad)
    show_if = row.get("show_if") or None
    if show_if and dimension is not None:
        raise bad("show_if", "计分题总要显示，不能设显示条件", "a scored question is always shown")
    q = Question(
        id=qid,
        text_zh=row["text_zh"],
        text_en=row["text_en"],
        kind=kind,
        dimension=dimension,
        clause=row.get("clause") or None,
        required=required,
        choices=_listed_choices(row, kind, lists, bad),
        show_if=show_if,
    )
    wrong = it.check(q)
    if wrong:
        raise bad("choices", wrong[0], wrong[1])
    return qbank.with_kind(q)


def _kind_and_dimension(row: dict, bad) -> tuple[str, str | None]:
    kind = row.get("kind", "").lower() or "likert"
    if kind not in qbank.KINDS:
        known = "、".join(qbank.KINDS)
        raise bad("kind", f"未知题型 “{kind}”（可用：{known}）", f"unknown kind {kind!r}")
    dimension = row.get("dimension", "").lower() or None
    if dimension is not None and dimension not in DIMENSIONS:
        names = "、".join(f"{d}（{DIMENSION_NAMES_ZH[d]}）" for d in DIMENSIONS)
        raise bad(
            "dimension",
            f"未知维度 “{dimension}”（应为 {names}）",
            f"unknown dimension {dimension!r} (use {', '.join(DIMENSIONS)})",
        )
    if dimension is not None and not KINDS[kind].scored:
        raise bad(
            "dimension",
            f"只有{QUESTION_KINDS['likert']}题计入维度，{QUESTION_KINDS[kind]}的维度须留空",
            "only likert questions belong to a dimension",
        )
    return kind, dimension


def _listed_choices(row: dict, kind: str, lists: dict, bad) -> tuple[Choice, ...]:
    listed = row.get("choices", "")
    if listed and listed not in lists:
        raise bad("choices", f"工作表 choices 中没有选项列表 “{listed}”", f"no list {listed!r}")
    if KINDS[kind].takes_choices and not listed:
        raise bad(
            "choices",
            f"{QUESTION_KINDS[kind]}须在 choices 列写明选项列表的名称",
            "a choice question names its list in the choices column",
        )
    return tuple(lists[listed]) if listed else ()


def read_xlsx(data: bytes, name: str = "imported", base=None) -> qbank.Questionnaire:
    """A questionnaire from the template, validated; SheetError names sheet, row and column."""
    wb = _workbook(data)
    try:
        if "survey" not in wb.sheetnames:
            raise SheetError(
                "survey", None, None, "缺少工作表 survey", "the sheet survey is missing"
            )
        lists = _choices(wb)
        ws = wb["survey"]
        cols = _header(ws, "survey", SURVEY_COLUMNS)
        rows = []
        last = qbank.MAX_QUESTIONS + 1000  # a sheet padded with blank rows must not hold a worker
        read = ws.iter_rows(min_row=2, max_row=last, max_col=MAX_COLUMNS, values_only=True)
        for r, values in enumerate(read, start=2):
            rows.append(
                (r, {c: _cell(values[i]) if i < len(values) else "" for c, i in cols.items()})
            )
    finally:
        wb.close()
    return from_rows(rows, name, "survey", lists, base)


def from_rows(
    rows: list[tuple[int, dict]],
    name: str,
    sheet: str = "survey",
    lists: dict | None = None,
    base=None,
) -> qbank.Questionnaire:
    """Validate numbered rows ({column: text}) into a questionnaire: the spreadsheet's rules,
    for the sheet and for the questionnaire editor's page (`sheet` names where they came from)."""
    questions: list[Question] = []
    seen: dict[str, int] = {}
    texts: list[int] = []  #: rows of text questions
    for r, row in rows:
        if not any(row.values()):
            continue
        q = _question(row, r, lists or {}, sheet)
        if q.show_if:
            try:
                parse_condition(q.show_if, questions, KINDS)
            except ConditionError as e:
                raise SheetError(sheet, r, "show_if", e.zh, e.en) from None
        if q.kind == "text":
            texts.append(r)
        if q.id in seen:
            raise SheetError(
                sheet, r, "id", f"题号 {q.id} 与第 {seen[q.id]} 行重复", f"id {q.id} repeats"
            )
        seen[q.id] = r
        questions.append(q)
        if len(questions) > qbank.MAX_QUESTIONS:
            raise SheetError(sheet, r, None, f"最多 {qbank.MAX_QUESTIONS} 题", "too many questions")
    if not questions:
        raise SheetError(sheet, None, None, "没有题目", "no questions")
    if len(texts) > 1:
        # a response keeps one free-text answer (its comment): a second would be lost
        raise SheetError(
            sheet,
            texts[1],
            "kind",
            "一份问卷最多一道文字题（文字回答保存为这份答卷的意见）",
            "at most one text question (its answer is kept as the response's comment)",
        )
    for dim in DIMENSIONS:
        n = sum(1 for q in questions if q.dimension == dim)
        if n < MIN_PER_DIMENSION:
            raise SheetError(
                sheet,
                None,
                "dimension",
                f"维度 {dim}（{DIMENSION_NAMES_ZH[dim]}）只有 {n} 道计分题，至少需要 {MIN_PER_DIMENSION} 道",
                f"dimension {dim} has {n} scored question(s); {MIN_PER_DIMENSION} needed",
            )
    return qbank.from_questions(name, questions, base or "default")


def options_text(choices) -> str:
    """A choice list as the questionnaire page writes it: one option a line, "1 电话 / Phone"."""
    return "\n".join(f"{c.value} {c.zh} / {c.en}" for c in choices)


def parse_options(text: str, r: int, sheet: str = "page") -> list[Choice]:
    """The page's options ("1 电话 / Phone" a line) as choices; SheetError names the line."""
    out: list[Choice] = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        value, _sep, words = line.partition(" ")
        zh, slash, en = words.partition("/")
        if not _CODE.fullmatch(value) or not slash or not zh.strip() or not en.strip():
            raise SheetError(
                sheet,
                r,
                "choices",
                f"选项第 {n} 行应写成 “代码 中文 / English”，如 “1 电话 / Phone”",
                f"option line {n} should read like '1 电话 / Phone'",
            )
        if not 1 <= int(value) <= MAX_CHOICE_VALUE or any(c.value == int(value) for c in out):
            raise SheetError(
                sheet,
                r,
                "choices",
                f"选项第 {n} 行：代码须为 1–{MAX_CHOICE_VALUE} 的整数且不重复",
                f"option line {n}: codes are whole numbers 1–{MAX_CHOICE_VALUE}, each once",
            )
        out.append(Choice(int(value), zh.strip()[:200], en.strip()[:200]))
    return out


def rows_of(q: qbank.Questionnaire) -> list[dict]:
    """A questionnaire's questions as rows of the template's columns (texts as written)."""
    return [
        {
            "id": x.id,
            "kind": x.kind,
            "dimension": x.dimension or "",
            "text_zh": x.text_zh,
            "text_en": x.text_en,
            "required": "yes" if x.required else "no",
            # each choice question keeps its own list, named after it
            "choices": x.id if x.choices else "",
            "clause": x.clause or "",
            "show_if": x.show_if or "",
        }
        for x in q.questions
    ]


def write_xlsx(q: qbank.Questionnaire) -> bytes:
    """The template filled with a questionnaire (any bank, campaign or import)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append([*SURVEY_COLUMNS, *OPTIONAL_COLUMNS])
    for row in rows_of(q):
        ws.append([neutralize(row[c]) for c in (*SURVEY_COLUMNS, *OPTIONAL_COLUMNS)])
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (14, 10, 14, 48, 48, 10, 10, 10, 12), strict=True):
        ws.column_dimensions[column].width = width
    choices = wb.create_sheet("choices")
    choices.append(list(CHOICE_COLUMNS))
    for x in q.questions:
        for c in x.choices:
            choices.append([neutralize(x.id), c.value, neutralize(c.zh), neutralize(c.en)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
