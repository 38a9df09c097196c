"""Customer personal data: optional contact details, encrypted with a key kept outside the DB."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _key_path() -> Path:
    return Path(current_app.config.get("CONTACT_KEY_FILE") or Path(current_app.instance_path) / "contact.key")


def _fernet() -> Fernet:
    """The contact key: FLASK_CONTACT_KEY, else instance/contact.key (created 0600 on first use)."""
    key = current_app.config.get("CONTACT_KEY")
    if not key:
        path = _key_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key())
            except FileExistsError:
                pass
        key = path.read_bytes().strip()
    return Fernet(key)


def encrypt_contact(text: str) -> bytes:
    """Encrypt a customer's contact (phone/e-mail) for storage."""
    return _fernet().encrypt(text.encode("utf-8"))


def decrypt_contact(blob: bytes) -> str | None:
    """Decrypt a stored contact; None when the key does not fit (rotated or lost)."""
    try:
        return _fernet().decrypt(blob).decode("utf-8")
    except InvalidToken:
        return None


def mask_contact(text: str | None) -> str:
    """Show only enough to recognise a contact: 138****5678, z***@example.com."""
    if not text:
        return ""
    if "@" in text:
        name, _, domain = text.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    return "*" * len(text)
