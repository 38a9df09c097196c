"""Small helpers shared by tests (fixtures live in conftest.py)."""


def bearer(token: str) -> dict:
    """Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}
