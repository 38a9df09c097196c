"""Small helpers shared by tests (fixtures live in conftest.py)."""

import re

#: a Chinese character (what an English page must not show of the app's own words)
CJK = re.compile(r"[\u4e00-\u9fff]")


def get_in(client, url: str, lang: str):
    """GET `url` with ?lang=`lang` (or &lang=). The tests share one app context, where
    Flask-Babel caches the locale it computed: refreshed before and after, so neither this
    request nor the next one is answered in a language left over."""
    import flask_babel

    flask_babel.refresh()
    resp = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    flask_babel.refresh()
    return resp


def bearer(token: str) -> dict:
    """Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}


def sign_in(page, base: str, username: str, password: str = "correct-horse") -> None:
    """Sign a browser page in through the sign-in form, as a user does."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def signed_in_page(browser, base: str, username: str, errors: list[str], **context):
    """A new browser context (`context` its options) and page, signed in as `username`; the
    page's script errors are appended to `errors`. Returns (context, page)."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, username)
    return ctx, page


def catalogue_english(feature: str = "*") -> dict[str, str]:
    """msgid → English of the feature catalogues as written (surveyapp/translations/<feature>/en),
    read from the files, not through an app under test; `feature` "*" merges them all."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1] / "surveyapp" / "translations"
    out = {}
    for po in root.glob(f"{feature}/en/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id and m.string:
                    out[m.id if isinstance(m.id, str) else m.id[0]] = m.string
    return out
