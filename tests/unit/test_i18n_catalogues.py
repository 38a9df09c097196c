"""`make i18n`: per-feature catalogues are updated in place, new messages land by feature."""

from __future__ import annotations

from babel.messages.pofile import read_po

from surveyapp import i18n_catalogues

PO = """# English for {feature}.
msgid ""
msgstr ""
"Language: en\\n"
"Content-Type: text/plain; charset=utf-8\\n"

{body}"""


def _tree(tmp_path):
    (tmp_path / "templates" / "dashboard").mkdir(parents=True)
    (tmp_path / "templates" / "other").mkdir(parents=True)
    (tmp_path / "surveyapp").mkdir()
    (tmp_path / "surveyapp" / "x.py").write_text(
        'from flask_babel import gettext as _\n_("核心")\n'
    )
    (tmp_path / "templates" / "dashboard" / "view.html").write_text(
        "{{ _('仪表盘') }} {{ _('新的仪表盘文字') }}"
    )
    (tmp_path / "templates" / "other" / "page.html").write_text("{{ _('别处的新文字') }}")
    catalogues = tmp_path / "translations"
    for feature, body in {
        "core": 'msgid "核心"\nmsgstr "Core"\n\nmsgid "已删除"\nmsgstr "Removed"\n',
        "dashboard": 'msgid "仪表盘"\nmsgstr "Dashboard"\n',
    }.items():
        d = catalogues / feature / "en" / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "messages.po").write_text(PO.format(feature=feature, body=body), encoding="utf-8")
    return catalogues


def _read(catalogues, feature):
    with (catalogues / feature / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_update_adds_by_feature_keeps_english_and_retires_the_gone(tmp_path):
    catalogues = _tree(tmp_path)
    report = i18n_catalogues.update(catalogues, root=tmp_path)
    assert report.added == {"dashboard": ["新的仪表盘文字"], "core": ["别处的新文字"]}
    assert report.obsolete == {"core": ["已删除"], "dashboard": []}
    dashboard = _read(catalogues, "dashboard")
    assert dashboard.get("仪表盘").string == "Dashboard"  # kept
    assert dashboard.get("新的仪表盘文字").string == ""  # to translate
    core = _read(catalogues, "core")
    assert core.get("已删除") is None and "已删除" in core.obsolete  # English kept under #~
    assert report.untranslated == {"core": ["别处的新文字"], "dashboard": ["新的仪表盘文字"]}
    # a second run finds nothing new and writes nothing
    again = i18n_catalogues.update(catalogues, root=tmp_path)
    assert not any(again.added.values()) and not any(again.obsolete.values())


def test_the_real_catalogues_are_up_to_date(tmp_path):
    import shutil

    copy = tmp_path / "translations"
    shutil.copytree(i18n_catalogues.TRANSLATIONS, copy)
    report = i18n_catalogues.update(copy)
    assert report.lines() == ["every catalogue is up to date"]


def test_a_scheme_files_titles_are_messages_of_the_schemes_catalogue(tmp_path):
    """Part, group and item titles of schemes/*.toml go to `schemes`, in file order, each once;
    the question banks (schemes/questions, English in the file) are not read."""
    import shutil

    from surveyapp.schemes import SCHEME_DIR, load_scheme

    catalogues = _tree(tmp_path)
    d = catalogues / "schemes" / "en" / "LC_MESSAGES"
    d.mkdir(parents=True)
    body = 'msgid "基本要求"\nmsgstr "Basic requirements"\n'
    (d / "messages.po").write_text(PO.format(feature="schemes", body=body), encoding="utf-8")
    (tmp_path / "schemes" / "questions").mkdir(parents=True)
    shutil.copy(SCHEME_DIR / "cqm-2019.toml", tmp_path / "schemes")
    shutil.copy(SCHEME_DIR / "questions" / "default.toml", tmp_path / "schemes" / "questions")
    report = i18n_catalogues.update(catalogues, root=tmp_path)
    titles = [i.title for i in load_scheme("cqm-2019").items]
    assert report.added["schemes"] == titles[1:]  # 基本要求 was there already
    assert report.untranslated["schemes"] == titles[1:]  # and `make i18n` fails until translated
    assert _read(catalogues, "schemes").get("基本要求").string == "Basic requirements"
