"""Chinese first, English on request: locale choice and catalogue compilation."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_app_context, has_request_context, request, session
from flask_babel import format_date, gettext

from .schemes import load_scheme
from .vocabulary import VOCABULARIES

#: one catalogue folder per feature (translations/<feature>/<lang>/LC_MESSAGES/messages.po),
#: merged by Flask-Babel, so features add strings without editing one shared file
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def translation_directories() -> str:
    """The feature catalogue folders, joined with ';' as Flask-Babel expects."""
    return ";".join(str(p) for p in sorted(TRANSLATIONS.iterdir()) if p.is_dir())


def select_locale() -> str:
    """?lang= (remembered in the session), then the session, then Accept-Language; zh default
    (and zh outside a request: the CLI speaks Chinese first too)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    lang = request.args.get("lang")
    if lang in languages:
        session["lang"] = lang
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or languages[0]


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po to .mo when missing or older (binaries are not kept in git)."""
    built = []
    for po_path in directory.glob("*/*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f)
        # a name of this process's own: workers starting together (gunicorn, pytest-xdist)
        # each write a whole file and swap it in; none reads another's half-written one
        tmp = mo_path.with_name(f"messages.mo.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo_path)
        built.append(mo_path)
    return built


def local_zone():
    """The zone users type dates in (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def local_day_start(day):
    """Midnight starting a local calendar day, as an aware datetime in the local zone."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def local_time(value) -> str:
    """A stored time (aware datetime or ISO text) as users read it: 2026-12-01 16:30, in the
    local zone (Asia/Shanghai by default); empty for none."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def local_date(value) -> str:
    """A stored time or a date as a local calendar day in the reader's language: 2026年11月8日,
    November 8, 2026; empty for none."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    day = moment.astimezone(local_zone()).date() if isinstance(moment, datetime) else moment
    return format_date(day, "long")


def _translated(source: str) -> str:
    """A catalogue message in the reader's language; the Chinese source outside an app (the CLI
    speaks Chinese first). gettext() itself, not the templates' _(), which would format a bare
    % in the text."""
    return gettext(source) if has_app_context() else source


def label(vocabulary: str, value: object) -> str:
    """The label of a vocabulary id (status, role, level, …) in the current language; the id
    itself when the vocabulary does not know it."""
    source = VOCABULARIES.get(vocabulary, {}).get(str(value))
    return str(value) if source is None else _translated(source)


def scheme_text(text: str | None) -> str:
    """A part, group or item title of a scheme in the reader's language: as the scheme file
    writes it on Chinese pages, its English from the `schemes` catalogue on English ones (the
    file stays Chinese only; `make i18n` extracts its titles); empty for none."""
    return _translated(text) if text else ""  # a title may hold a bare % (10%配置…)


def scheme_title(scheme_id: str, zh: bool = False) -> str:
    """A scheme's title in the reader's language (the `scheme` vocabulary; a scheme it does not
    name shows its file's title); `zh`: as its file gives it (what a default campaign title
    holds)."""
    if scheme_id in VOCABULARIES["scheme"] and not zh:
        return label("scheme", scheme_id)
    return load_scheme(scheme_id).title
