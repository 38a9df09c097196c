"""Text that can be stored everywhere: rules shared by every service that accepts free text."""

from __future__ import annotations

import re

#: NUL and other C0 controls except tab/newline/CR, and lone surrogates: PostgreSQL refuses
#: NUL, SQLite and encryption refuse surrogates, and none of them belong in a customer's text
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable(value: str) -> bool:
    """True when the text has no NUL/control characters and no lone surrogates."""
    return _UNSTORABLE.search(value) is None
