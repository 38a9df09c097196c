"""Configuration layering and the generated secret key."""

import stat

from surveyapp import create_app
from surveyapp.config import load_secret_key


def test_secret_key_generated_once_private(tmp_path):
    key = load_secret_key(str(tmp_path))
    assert len(key) == 64
    assert load_secret_key(str(tmp_path)) == key
    mode = (tmp_path / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-env")
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite3")


def test_instance_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-file'\nLOGIN_MAX_FAILURES = 9\n")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["LOGIN_MAX_FAILURES"] == 9
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/surveyapp.sqlite3"


def test_passwords_are_hashed_at_full_strength_outside_the_tests():
    from werkzeug.security import generate_password_hash

    from surveyapp.config import Defaults

    assert Defaults.PASSWORD_HASH_METHOD == "scrypt"
    assert generate_password_hash("x", method=Defaults.PASSWORD_HASH_METHOD).startswith(
        "scrypt:32768:8:1$"
    )
