"""`make i18n`: extract every message and update each feature's catalogue (no Flask needed).

Catalogues are per feature (translations/<feature>/en/LC_MESSAGES/messages.po, merged at run
time by Flask-Babel), so `pybabel update`, which wants one catalogue, cannot maintain them.
This keeps each message in the feature that holds it, adds a new message to the feature that
already holds most messages of the same source file (else by its folder, else `core`; shared
vocabulary and error sentences always go to `core`), and
moves messages no longer in the code to the obsolete (`#~`) section, keeping their English.

The scheme files (schemes/*.toml) are code too: their part, group and item titles, which the
checklist and the report show, are extracted as messages (msgid = the Chinese as the file writes
it) into the `schemes` catalogue, so a scheme file stays Chinese only and unchanged (finalized
results refer to its sha256) and a new title is a message that still needs English.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .schemes import load_scheme_file, reader_texts

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "surveyapp" / "translations"


def extract_scheme(fileobj, keywords, comment_tags, options):
    """Babel's extraction method for a scheme file: every title a reader sees, as a message
    (the question banks under schemes/questions carry their English in the file instead)."""
    for text in reader_texts(load_scheme_file(fileobj.name)):
        yield 0, None, text, []


METHODS = [
    ("surveyapp/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("schemes/*.toml", extract_scheme),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {
    "_": None,
    "_l": None,
    "N_": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
}
#: files whose new messages always go to one feature (shared vocabulary and error sentences)
FILE_FEATURE = {"surveyapp/vocabulary.py": "core", "surveyapp/messages.py": "core"}
#: where a message from a file no catalogue has seen yet goes, by the file's folder
FOLDER_FEATURE = {
    "templates/admin": "admin",
    "templates/dashboard": "dashboard",
    "templates/evaluation": "dashboard",
    "templates/survey": "surveys",
    "templates/campaigns": "surveys",
    "templates/interview": "surveys",
    "schemes": "schemes",
}
DEFAULT_FEATURE = "core"


def extract(root: Path = ROOT) -> dict[str, str]:
    """Every message id in the code → the first file that uses it (relative to root)."""
    found: dict[str, str] = {}
    for fname, _lineno, message, _comments, _ctx in extract_from_dir(
        root, METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        for msg in message if isinstance(message, tuple) else (message,):
            if msg:
                found.setdefault(msg, fname.replace("\\", "/"))
    return found


@dataclass
class Report:
    """What an update changed, per feature."""

    added: dict[str, list[str]] = field(default_factory=dict)
    obsolete: dict[str, list[str]] = field(default_factory=dict)
    untranslated: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for title, groups in (
            ("new (translate them)", self.added),
            ("obsolete (moved to #~)", self.obsolete),
            ("still without English", self.untranslated),
        ):
            for feature, ids in sorted(groups.items()):
                if ids:
                    out.append(f"{feature}: {len(ids)} {title}: " + " | ".join(ids[:5]))
        return out or ["every catalogue is up to date"]


def _feature_of(path: str, by_file: dict[str, Counter], features: list[str]) -> str:
    if FILE_FEATURE.get(path) in features:
        return FILE_FEATURE[path]
    if by_file.get(path):
        return by_file[path].most_common(1)[0][0]
    for folder, feature in FOLDER_FEATURE.items():
        if path.startswith(folder + "/") and feature in features:
            return feature
    return DEFAULT_FEATURE if DEFAULT_FEATURE in features else features[0]


def _msgid(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def update(directory: Path = TRANSLATIONS, root: Path = ROOT, lang: str = "en") -> Report:
    """Bring every feature catalogue of `lang` in line with the code; returns what changed."""
    code = extract(root)
    catalogs: dict[str, Catalog] = {}
    for po in sorted(directory.glob(f"*/{lang}/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            catalogs[po.parts[-4]] = read_po(f, locale=lang)
    features = sorted(catalogs)
    if not features:
        raise SystemExit(f"no {lang} catalogue under {directory}")
    by_file: dict[str, Counter] = {}
    held: set[str] = set()
    for feature, catalog in catalogs.items():
        for m in catalog:
            mid = _msgid(m) if m.id else ""
            if mid in code:
                by_file.setdefault(code[mid], Counter())[feature] += 1
                held.add(mid)
    report = Report()
    for feature, catalog in catalogs.items():
        gone = [m for m in catalog if m.id and _msgid(m) not in code]
        for m in gone:
            catalog.obsolete[m.id] = m
            del catalog[m.id]
        report.obsolete[feature] = [_msgid(m) for m in gone]
    for mid, path in code.items():
        if mid not in held:
            feature = _feature_of(path, by_file, features)
            catalogs[feature].add(mid, "")
            report.added.setdefault(feature, []).append(mid)
    for feature, catalog in catalogs.items():
        report.untranslated[feature] = [_msgid(m) for m in catalog if m.id and not m.string]
        target = directory / feature / lang / "LC_MESSAGES" / "messages.po"
        if report.added.get(feature) or report.obsolete.get(feature):
            with target.open("wb") as f:
                write_po(f, catalog, omit_header=False, no_location=True, width=100)
    return report


def main(argv: list[str] | None = None) -> int:
    """Update the catalogues and print what changed; exit 1 while a message lacks English."""
    report = update()
    for line in report.lines():
        print(line)
    return 1 if any(report.untranslated.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
