"""Settings from the environment: strict helpers, defaults, and start-up refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from homeportal import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 2592000), ("12h", 43200), ("90m", 5400), ("45s", 45), ("3600", 3600), ("2w", 1209600)],
)
def test_durations_use_homarrs_format(text, seconds):
    assert env.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1y", "ten", "-5m", "5 days"])
def test_bad_durations_are_refused(monkeypatch, text):
    monkeypatch.setenv("SOME_TIME", text)
    with pytest.raises(ImproperlyConfigured, match="SOME_TIME"):
        env.env_duration("SOME_TIME", "1h")


def test_booleans_are_strict(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env.env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "off")
    assert env.env_bool("FLAG") is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env.env_bool("FLAG")


def test_secret_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    monkeypatch.delenv("TOKEN", raising=False)
    assert env.env_secret("TOKEN") == "from-a-file"
    monkeypatch.setenv("TOKEN", "both")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.env_secret("TOKEN")


def test_networks_are_parsed(monkeypatch):
    monkeypatch.setenv("NETS", "127.0.0.1, 10.0.0.0/8,::1")
    assert [str(n) for n in env.env_networks("NETS")] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    monkeypatch.setenv("NETS", "10.0.0.0/8,not-a-net")
    with pytest.raises(ImproperlyConfigured, match="NETS"):
        env.env_networks("NETS")


SHOWN = (
    "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.DEBUG, "
    "s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE, s.AUTH_SESSION_EXPIRY_TIME)"
)


def run_settings(tmp_path, shown: str = SHOWN, **variables) -> subprocess.CompletedProcess:
    """Loads the settings in a new process with `variables` in the environment and runs
    `shown` (Python, with the settings as `s`)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "AUTH_"))
    }
    environment.update(
        DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="homeportal.settings"
    )
    environment.pop("SECRET_KEY", None)
    environment.update(variables)
    code = "import django; django.setup(); from django.conf import settings as s; " + shown
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_defaults_are_sqlite_in_the_data_folder_with_a_private_generated_key(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "LocMemCache" in result.stdout
    assert "False ['localhost', '127.0.0.1', '[::1]'] False 2592000" in result.stdout
    key = tmp_path / "data" / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    assert run_settings(tmp_path).returncode == 0
    assert key.read_text() == first  # generated once, then kept


def test_base_url_sets_hosts_and_secure_cookies(tmp_path):
    result = run_settings(
        tmp_path,
        BASE_URL="https://home.example.org",
        DATABASE_URL="postgres://u:p@db/homeportal",
        REDIS_URL="redis://cache:6379/0",
        AUTH_SESSION_EXPIRY_TIME="12h",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql homeportal.cache.RedisCache" in result.stdout.replace(
        "django.db.backends.", ""
    )
    assert "['home.example.org'] True 43200" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "perhaps"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("REDIS_URL", "http://cache"),
        ("BASE_URL", "home.example.org"),
        ("AUTH_PROVIDERS", "credentials,kerberos"),
        ("AUTH_SESSION_EXPIRY_TIME", "forever"),
        ("LOG_LEVEL", "chatty"),
        ("SECRET_KEY", "short"),
        ("TRUSTED_PROXIES", "proxy.local"),
        ("AUDIT_RETENTION", "1y"),
        ("LOGIN_HISTORY_RETENTION", "0d"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value):
    result = run_settings(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "{'prepare_threshold': 0}"), ("false", "{}"), ("true", "{'prepare_threshold': 0}")],
)
def test_postgresql_prepares_the_compiled_lookups_unless_told_not_to(tmp_path, value, shown):
    variables = {"DATABASE_URL": "postgres://someone@db.invalid:5432/homeportal"}
    if value is not None:
        variables["DATABASE_PREPARED_STATEMENTS"] = value
    shown_options = "print(s.DATABASES['default'].get('OPTIONS', {}))"
    result = run_settings(tmp_path, shown_options, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == shown
