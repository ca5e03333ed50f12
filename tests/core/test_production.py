"""What the Docker image runs, run here without Docker: collectstatic with hashed names,
`check --deploy` with production-like settings, migrations and gunicorn serving /healthz."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services.process import START_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def production_env(tmp_path, **extra) -> dict:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "AUTH_", "DJANGO_", "SECRET_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="homeportal.settings",
        DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        SECRET_KEY="production-like-secret-key-0123456789-abcdefghijklmnop",
        PYTHONDONTWRITEBYTECODE="1",
    )
    environment.update(extra)
    return environment


def manage(environment, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_check_deploy_passes_with_production_settings(tmp_path):
    environment = production_env(
        tmp_path,
        BASE_URL="https://home.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
    )
    result = manage(environment, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_are_complete(tmp_path):
    result = manage(production_env(tmp_path), "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_start_serves_healthz_static_files_and_onboarding(tmp_path):
    environment = production_env(tmp_path)
    collected = manage(environment, "collectstatic", "--noinput", "-v0")
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    port = free_port()
    environment.update(BIND=f"127.0.0.1:{port}", PATH=f"{BIN}:{environment.get('PATH', '')}")
    server = subprocess.Popen(
        ["./docker-entrypoint.sh", str(BIN / "gunicorn"), "--config",
         "homeportal/gunicorn.conf.py", "homeportal.wsgi"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                status, _, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.poll() is not None else ""
                    pytest.fail(f"gunicorn did not start: {output}")
                time.sleep(0.2)
        assert status == 200 and b'"ok"' in body
        status, headers, _ = get(f"http://127.0.0.1:{port}/")
        assert status == 302 and headers["Location"] == "/onboarding/"
        status, _, page = get(f"http://127.0.0.1:{port}/onboarding/")
        assert status == 200
        css = page.decode().split('href="/static/css/')[1].split('"')[0]
        assert css.startswith("homeportal.") and css != "homeportal.css"  # hashed name
        status, headers, _ = get(f"http://127.0.0.1:{port}/static/css/{css}")
        assert status == 200 and "max-age" in headers.get("Cache-Control", "")
        # The brand icons: two collected files, not one per icon, served tile by tile.
        brands = tmp_path / "static" / "icons" / "brands"
        assert len(list(brands.iterdir())) < 10
        row = next(r for r in json.loads((brands / "index.json").read_text()) if r[0] == "plex")
        status, headers, svg = get(f"http://127.0.0.1:{port}/static/icons/brands/plex.{row[5]}.svg")
        assert status == 200 and headers["Content-Type"] == "image/svg+xml"
        assert svg.startswith(b"<svg") and len(svg) == row[4]
        assert "immutable" in headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stdout.close()
