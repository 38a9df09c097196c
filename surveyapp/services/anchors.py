"""Signed anchors of the ledger: each chain's head at a moment, signed by a key kept outside
the database, so that a later cut or rewrite of history is visible (services/ledger.py).

An anchor is a JSON document:

    {"format": "surveyapp-ledger-anchor/1", "time": "2026-12-01T20:00:00+00:00",
     "chains": [{"chain": 0, "batches": 3, "entries": 41, "head": "<batch hash>"}, …],
     "digest": "<sha256 of the chains list>", "key_id": "…", "public_key": "<base64>",
     "signature": "<base64 Ed25519 over the canonical JSON of everything else>"}

Chain 0 is the system chain (users, organizations); every other chain is a campaign's. A
campaign's anchor (`for_campaign`) holds its chain only, plus how many of its entries were not
yet sealed. The key is an Ed25519 key in instance/ledger-anchor.key (LEDGER_ANCHOR_KEY_FILE),
created 0600 on first use; it is never in the database nor in a backup of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from . import ledger
from .ledger import Head

FORMAT = "surveyapp-ledger-anchor/1"


class AnchorError(ValueError):
    """An anchor file that cannot be used: unreadable, not an anchor, or not signed by us."""


def _key_path() -> Path:
    return Path(
        current_app.config.get("LEDGER_ANCHOR_KEY_FILE")
        or Path(current_app.instance_path) / "ledger-anchor.key"
    )


def _private_key(create: bool = True) -> Ed25519PrivateKey:
    """The installation's anchor key; created on first use (written to a temporary file and
    linked into place, so a second worker never reads a half-written key). `create=False`
    (checking an anchor) never makes a new key: a missing one is an AnchorError."""
    path = _key_path()
    if not path.exists():
        if not create:
            raise AnchorError(
                f"no anchor key at {path}: restore the key the anchor was signed with"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another worker linked its key first: use that one
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"{path} does not hold an Ed25519 key")
    return key


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    """The first 16 hex digits of sha256(public key): how people tell keys apart."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signed_text(doc: dict) -> bytes:
    return ledger.canonical_json({k: v for k, v in doc.items() if k != "signature"}).encode()


def _sign(body: dict) -> dict:
    key = _private_key()
    raw = _public_raw(key)
    doc = {**body, "key_id": key_id(raw), "public_key": _b64(raw)}
    doc["signature"] = _b64(key.sign(_signed_text(doc)))
    return doc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def take(seal: bool = True) -> dict:
    """Seal what is pending, then sign every chain's head."""
    if seal:
        ledger.seal()
    hs = ledger.heads()
    return _sign(
        {
            "format": FORMAT,
            "time": _now(),
            "chains": [h.as_dict() for h in hs],
            "digest": ledger.heads_digest(hs),
        }
    )


def for_campaign_or_none(campaign_id: int) -> dict | None:
    """for_campaign, or None when the key cannot be read or written (logged): a result or a
    report is still given, without its anchor."""
    try:
        return for_campaign(campaign_id)
    except (OSError, ValueError) as e:
        current_app.logger.warning("ledger anchor unavailable: %s", e)
        return None


def for_campaign(campaign_id: int) -> dict:
    """The campaign chain's sealed head, signed, with how many of its entries await sealing."""
    hs = ledger.heads(chain=campaign_id)
    pending, _oldest = ledger.unsealed(chain=campaign_id)
    return _sign(
        {
            "format": FORMAT,
            "time": _now(),
            "campaign_id": campaign_id,
            "chains": [h.as_dict() for h in hs],
            "digest": ledger.heads_digest(hs),
            "unsealed": pending,
        }
    )


def _heads(doc: dict) -> list[Head]:
    try:
        return [
            Head(int(c["chain"]), int(c["batches"]), int(c["entries"]), str(c["head"]))
            for c in doc["chains"]
        ]
    except (KeyError, TypeError, ValueError) as e:
        raise AnchorError(f"not a ledger anchor: chains are malformed ({e})") from e


def check(doc: dict) -> list[Head]:
    """The heads an anchor pins, once its form, digest and signature by this installation's
    key are checked; AnchorError says what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AnchorError(f"not a ledger anchor (format is not {FORMAT})")
    hs = _heads(doc)
    if ledger.heads_digest(hs) != doc.get("digest"):
        raise AnchorError("the anchor's digest does not match its chains (the file was edited)")
    raw = _public_raw(_private_key(create=False))
    if doc.get("public_key") != _b64(raw):
        raise AnchorError(
            f"the anchor was signed by key {doc.get('key_id')!s}, not by this installation's"
            f" key {key_id(raw)}"
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            base64.b64decode(str(doc.get("signature", ""))), _signed_text(doc)
        )
    except (InvalidSignature, ValueError) as e:
        raise AnchorError("the anchor's signature does not verify (the file was edited)") from e
    return hs


def load(path: str | Path) -> list[Head]:
    """Read and check an anchor file."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnchorError(f"cannot read the anchor file {path}: {e}") from e
    return check(doc)
