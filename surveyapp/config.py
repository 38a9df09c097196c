"""Layered configuration: these defaults, then instance/config.py, then FLASK_* / DATABASE_URL."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


class Defaults:
    """Defaults for a production-like run; tests pass a mapping on top."""

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLITE_SYNCHRONOUS = "FULL"  #: an acknowledged write survives a crash
    #: WAL pages before a commit copies them into the database (SQLite's default is 1,000): a
    #: response and its ledger entry write 13 pages, so a checkpoint every 300 responses
    #: instead of 77 copies each busy page once for more commits (16 MB of WAL at most)
    SQLITE_WAL_AUTOCHECKPOINT = 4000
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  #: set FLASK_SESSION_COOKIE_SECURE=true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  #: a survey or checklist form may stay open a working day
    MAX_CONTENT_LENGTH = 256 * 1024  #: no legitimate form or JSON body is larger
    RATELIMIT_ENABLED = True
    #: where rate-limit counters live: empty = instance/ratelimits.sqlite3, shared exactly by
    #: every worker of one machine (surveyapp.limits_store); redis://host:6379/0 for several
    #: servers; memory:// only for a single process
    RATELIMIT_STORAGE_URI = ""
    RATELIMIT_HEADERS_ENABLED = True
    #: customers' API submissions stored outside Flask's request cycle when nothing needs it
    #: (surveyapp/web/submit_path.py: same validation, limits, answer and errors; a third less
    #: CPU a submission); false sends every request through Flask
    SUBMIT_FAST_PATH = True
    PUBLIC_BASE_URL = ""  #: e.g. https://survey.example.cn; empty = the request's host
    #: hosts a request may name besides PUBLIC_BASE_URL's and SERVER_NAME's (FLASK_TRUSTED_HOSTS
    #: adds more: a JSON list or a comma-separated string); any other Host is answered 400, so a
    #: forged Host never becomes the host of a survey URL or a QR code
    DEFAULT_TRUSTED_HOSTS = ("127.0.0.1", "localhost")  #: (werkzeug cannot match an IPv6 literal)
    #: werkzeug's password hash: scrypt at N = 2^15 (about 80 ms a sign-in); the tests use
    #: scrypt at N = 2^10 so a thousand sign-ins do not take minutes
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    LOGIN_MAX_FAILURES = 5  #: failed sign-ins per name+address before each try waits 30 s, 60 s…
    LOGIN_LOCK_MINUTES = 15  #: the longest such wait
    LOGIN_LOCK_ADDRESSES = 10  #: addresses failing on one name within an hour lock the account…
    LOGIN_ACCOUNT_LOCK_HOURS = 24  #: …for this long, except from the user's usual addresses
    PERMANENT_SESSION_LIFETIME = 12 * 3600  #: seconds; sign-ins are browser-session cookies
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600  #: seconds, should "remember me" ever be offered
    REMEMBER_COOKIE_SECURE = False  #: set FLASK_REMEMBER_COOKIE_SECURE=true behind HTTPS
    #: days after a campaign closes before its customers' comments and contacts may be purged
    PERSONAL_DATA_RETENTION_DAYS = 365
    #: who keeps the customers' contacts (PIPL 个人信息处理者), named on the survey and the
    #: privacy page: the certification body running this server (FLASK_DATA_CONTROLLER); empty
    #: says "the certification body organising this evaluation"
    DATA_CONTROLLER = ""
    #: how the customer reaches it about their personal information (FLASK_DATA_CONTACT)
    DATA_CONTACT = ""
    #: computed frames and scores also kept on disk (instance/cache/scores unless
    #: SCORES_CACHE_DIR): every worker shares them and a restart does not recompute a million
    #: responses; entries are keyed by what they were computed from, so none is ever stale
    SCORES_DISK_CACHE = True
    #: the ledger's sealer seals pending entries this often, in a thread of each worker (0:
    #: never; `flask ledger-seal` and `ledger-anchor` seal too); the window in docs/ledger.md
    LEDGER_SEAL_SECONDS = 5.0
    #: the anchor signing key; default instance/ledger-anchor.key (created on first use)
    LEDGER_ANCHOR_KEY_FILE = ""
    SCORES_CACHE_DIR = ""
    #: a campaign whose dashboard took this many seconds or more to make shows the previous
    #: one (with the time its data was read) while the new one is made after the page is
    #: sent, instead of making the reader wait; empty: always wait for the current one
    DASHBOARD_STALE_AFTER_SECONDS: float | None = 2.0
    SCORES_CACHE_BYTES = 4 * 2**30  #: the oldest stored entries go first beyond this


def sqlite_url(instance_path: str) -> str:
    """The default database: a SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "surveyapp.sqlite3")


def load_secret_key(instance_path: str) -> str:
    """Read instance/secret_key, creating it with 256 random bits on first run (never in git)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def trusted_hosts(config) -> list[str]:
    """Flask's TRUSTED_HOSTS: the defaults, PUBLIC_BASE_URL's and SERVER_NAME's hosts, then any
    given as TRUSTED_HOSTS (a list, or a comma-separated string from the environment)."""
    given = config.get("TRUSTED_HOSTS") or []
    if isinstance(given, str):
        given = [h.strip() for h in given.split(",")]
    hosts = [*config.get("DEFAULT_TRUSTED_HOSTS", ()), *given]
    public = urlsplit(config.get("PUBLIC_BASE_URL") or "").hostname
    server = (config.get("SERVER_NAME") or "").rsplit(":", 1)[0]
    hosts += [h for h in (public, server) if h]
    return list(dict.fromkeys(h for h in hosts if h))


def optional_seconds(value) -> float | None:
    """A setting in seconds, or None for off: "" (FLASK_…= in the environment) and text that is
    not a number are off too."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def configure(app, test_config: dict | None = None) -> None:
    """Apply defaults → instance/config.py → environment (FLASK_*, DATABASE_URL) → test_config."""
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
        if os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", sqlite_url(app.instance_path))
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.config["DASHBOARD_STALE_AFTER_SECONDS"] = optional_seconds(
        app.config.get("DASHBOARD_STALE_AFTER_SECONDS")
    )
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        path = Path(app.instance_path).resolve() / "ratelimits.sqlite3"
        app.config["RATELIMIT_STORAGE_URI"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
