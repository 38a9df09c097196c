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
