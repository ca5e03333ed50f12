"""Settings for the test suite: the real settings, read from a throwaway environment, with a
fast password hasher (argon2 costs 0.2 s a hash; tests about hashing use it explicitly)."""

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="homeportal-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-to-pass-the-check")

from homeportal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["tests.hashers.CountingHasher", *PASSWORD_HASHERS]  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve from the source folders; no collectstatic in tests
# Each test run gets its own PostgreSQL test database, so runs on one server never collide.
DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_homeportal_{os.getpid()}"  # noqa: F405
