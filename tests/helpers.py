"""Small helpers shared by tests (fixtures live in conftest.py)."""


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
