"""What a server process loads before any request needs it. Every module imported at start-up
stays in memory in every process (gunicorn's master and each worker), so libraries that only
some requests need are imported by those requests: the OpenID Connect provider's (PyJWT,
requests, mozilla-django-oidc) while it is not enabled, and cryptography until a sealed value
is opened. The check runs in a fresh interpreter, as a server starts."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["jwt", "requests", "mozilla_django_oidc", "cryptography", "josepy"]

LOAD = """
import json, sys
import django
django.setup()
from django.core.wsgi import get_wsgi_application
get_wsgi_application()  # every middleware
from django.urls import get_resolver, resolve
for pattern in get_resolver().url_patterns:  # every view module of every URL
    pass
resolve("/accounts/oidc/login/"), resolve("/accounts/oidc/callback/"), resolve("/boards/x/")
if "--answer" in sys.argv:  # a response through the provider's CSP hook, as a request would
    from django.http import JsonResponse
    from django.test import RequestFactory
    from accounts.providers.oidc_hooks import csp_middleware
    csp_middleware(lambda request: JsonResponse({}))(RequestFactory().get("/healthz"))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded(tmp_path, *arguments: str, **environment: str) -> set[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "AUTH_", "DJANGO_", "SECRET_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="homeportal.settings",
        DATA_DIR=str(tmp_path),
        SECRET_KEY="start-up-imports-secret-key-0123456789-abcdefghijklmnop",
        **environment,
    )
    result = subprocess.run(
        [sys.executable, "-c", LOAD, *arguments], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_a_server_without_oidc_loads_neither_its_libraries_nor_cryptography(tmp_path):
    modules = loaded(tmp_path)
    assert "django" in modules and "boards" in modules  # the check saw the application
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_a_server_with_oidc_loads_its_libraries_with_the_first_request(tmp_path):
    oidc = {
        "AUTH_PROVIDERS": "credentials,oidc",
        "AUTH_OIDC_ISSUER": "https://sso.example.org",
        "AUTH_OIDC_CLIENT_ID": "homeportal",
        "AUTH_OIDC_CLIENT_SECRET": "secret",
    }
    assert not loaded(tmp_path, **oidc) & {"jwt", "mozilla_django_oidc"}
    assert {"jwt", "mozilla_django_oidc"} <= loaded(tmp_path, "--answer", **oidc)
    assert not loaded(tmp_path, "--answer") & {"jwt", "mozilla_django_oidc"}  # not enabled
