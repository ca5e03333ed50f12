"""homeportal's settings, all read from the environment (see the README's table).

Defaults are safe for a first run: SQLite and a generated secret key in the data folder,
DEBUG off, only local host names allowed.
"""

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from homeportal.env import (
    env_bool,
    env_choice,
    env_duration,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()
DEBUG = env_bool("DEBUG", False)


def _data_dir() -> Path:
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(f"DATA_DIR {DATA_DIR} cannot be created: {error}.") from None
    return DATA_DIR


def _generated_secret(file_name: str, make) -> str:
    """A secret generated once into the data folder, readable by its owner only."""
    path = _data_dir() / file_name
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(descriptor, "w") as f:
                f.write(make())
    return path.read_text().strip()


SECRET_KEY = env_secret("SECRET_KEY") or _generated_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")


def _encryption_key(name: str, value: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must be 64 hexadecimal characters (32 bytes).")
    return key


# Secrets at rest (2FA seeds, integration credentials) are sealed with this key. Unset, it is
# generated into the data folder; in production set it, and keep it apart from database backups.
SECRET_ENCRYPTION_KEY = _encryption_key(
    "SECRET_ENCRYPTION_KEY",
    env_secret("SECRET_ENCRYPTION_KEY")
    or _generated_secret("encryption_key", lambda: secrets.token_hex(32)),
)
SECRET_ENCRYPTION_OLD_KEYS = [
    _encryption_key("SECRET_ENCRYPTION_OLD_KEYS", k) for k in env_list("SECRET_ENCRYPTION_OLD_KEYS")
]

# --- Hosts -----------------------------------------------------------------------------------
BASE_URL = env_str("BASE_URL").rstrip("/")
if BASE_URL:
    _base = urlsplit(BASE_URL)
    if _base.scheme not in ("http", "https") or not _base.hostname:
        raise ImproperlyConfigured(
            f"BASE_URL must look like https://home.example.org, not {BASE_URL!r}."
        )
    ALLOWED_HOSTS = [_base.hostname]
    CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
    HTTPS = _base.scheme == "https"
else:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    CSRF_TRUSTED_ORIGINS = []
    HTTPS = False
ALLOWED_HOSTS += env_list("ALLOWED_HOSTS")

# Proxies whose X-Forwarded-For / X-Forwarded-Proto we believe (client address for throttling
# and logs, HTTPS detection). Empty: the direct peer is the client.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "homeportal.apps.HomeportalConfig",  # project-wide input rules (homeportal/text.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "accounts",
    "groups",
    "boards",
    "integrations",
    "invites",
    "sessions_admin",
    "protected_apps",
    "apitokens",
]

# Every middleware, in order, with why it is there and why at that place. Those of a login
# provider are always installed and do nothing while that provider is not enabled, so enabling
# one is a matter of settings only.
MIDDLEWARE = [
    # First of all: removes reverse-proxy identity headers sent by any peer outside
    # AUTH_PROXY_TRUSTED_NETWORKS (and checks AUTH_PROXY_SECRET), before anything can read them.
    "accounts.providers.proxy.ProxyHeaderGuardMiddleware",
    # The forward-auth endpoints (/auth/nginx, /auth/forward) answer here, from the cache,
    # before sessions, users and the rest load anything: a reverse proxy asks on every request.
    "protected_apps.middleware.forward_auth_middleware",
    # HTTPS redirect, HSTS, nosniff: answers early, before any work is done.
    "django.middleware.security.SecurityMiddleware",
    # Static files, before sessions and everything else that a file does not need.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The bundled brand icons, read from the one file that holds them all (boards/icons.py):
    # whitenoise would keep an entry per icon in every process.
    "boards.icons.BrandIconMiddleware",
    # The Content-Security-Policy header with its nonce (made from randomness read in blocks,
    # homeportal.randomness), then (inside it, so it can add to the policy of the answer) the
    # OIDC provider's endpoint origins in form-action.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "homeportal.randomness.nonce_middleware",
    "accounts.providers.oidc_hooks.csp_middleware",
    # Before sessions: API calls are answered here, never authenticated by a cookie, without
    # the browser-session middleware below (apitokens.api).
    "apitokens.api.api_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's documented place): picks the language
    # from Accept-Language; accounts.preferences applies a user's own choice later.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Right inside it: the CSRF cookie is sent when the browser needs it, not again with every
    # page that shows a token (homeportal/csrf.py).
    "homeportal.csrf.csrf_cookie_middleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication: the proxy login (switches or ends sessions as the headers
    # say) and the OIDC session refresh, so everything below sees the right user.
    "accounts.providers.proxy.ProxyLoginMiddleware",
    "accounts.providers.oidc_hooks.session_refresh_middleware",
    # request.htmx, then HX-Redirect instead of a bare redirect for htmx requests.
    "django_htmx.middleware.HtmxMiddleware",
    "homeportal.middleware.htmx_redirect_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Too many password hashes at once in this process: a 429, not a queue of 100 MiB each.
    "homeportal.middleware.HashingBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.grants: the resolver's answers for this user, computed once per request.
    "groups.middleware.grants_middleware",
    # Idle time and "last seen" of the session; revoked sessions end here.
    "sessions_admin.middleware.session_activity_middleware",
    # Every page leads to onboarding until the owner exists.
    "accounts.onboarding.onboarding_middleware",
    # What the server makes a user do first: a new password, then two-factor set-up.
    "accounts.middleware.password_change_required_middleware",
    "accounts.middleware.two_factor_required_middleware",
    # Last but one: the checks above (idle time, forced password change, required 2FA) see the
    # admin's own session.
    "sessions_admin.impersonation.impersonation_middleware",
    # After impersonation: an admin acting as someone sees that person's time zone and language.
    "accounts.preferences.preferences_middleware",
]

ROOT_URLCONF = "homeportal.urls"
WSGI_APPLICATION = "homeportal.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "homeportal.context_processors.homeportal",
                # `csrf_token` masked from one read of randomness (Django's own processor,
                # which always runs first, is overridden): homeportal/csrf.py.
                "homeportal.csrf.csrf",
            ],
            "builtins": ["accounts.templatetags.preferences"],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{_data_dir() / 'homeportal.sqlite3'}"
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be understood: {error}.") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Connections persist across requests (one per server thread), like PostgreSQL's. WAL lets
    # readers run beside a writer; IMMEDIATE transactions take the write lock up front and a
    # busy timeout makes a second writer wait for it instead of failing with "locked".
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # The few lookups made on every request (homeportal/compiled.py) run as prepared
    # statements, planned once per connection; the rest of the ORM's queries bind their values
    # on the client and are never prepared. A pooler in transaction mode that does not follow
    # prepared statements (PgBouncer before 1.21) needs DATABASE_PREPARED_STATEMENTS=false.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        _database.setdefault("OPTIONS", {})["prepare_threshold"] = 0
    # Django's backend, with a health check of persistent connections that asks the socket,
    # not the server (homeportal/postgresql/base.py).
    _database["ENGINE"] = "homeportal.postgresql"
else:
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL.")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
# The cache holds login-throttling counters and the permission-cache version. With REDIS_URL
# every server process shares them; without it they live in this process's memory, and the
# server runs a single process (see gunicorn.conf.py) so nothing goes stale.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or unix:// URL.")
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            # Django's, with one Redis client per connection pool (homeportal/cache.py).
            "BACKEND": "homeportal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "homeportal"),
            "TIMEOUT": 3600,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "homeportal",
            "TIMEOUT": 3600,
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# AUTH_PROVIDERS, AUTHENTICATION_BACKENDS, AUTH_LOGOUT_REDIRECT_URL and the settings of the
# LDAP, OIDC and proxy providers live in their own module.
from homeportal.auth_settings import (  # noqa: E402
    AUTH_FORM_ACTION_ORIGINS,
    AUTH_FORWARD_EMAIL_HEADER,
    AUTH_FORWARD_GROUPS_HEADER,
    AUTH_FORWARD_GROUPS_SEPARATOR,
    AUTH_FORWARD_NAME_HEADER,
    AUTH_FORWARD_TRUSTED_NETWORKS,
    AUTH_FORWARD_USER_HEADER,
    AUTH_GROUPS_LOCAL_MANAGEMENT,
    AUTH_LDAP_ALLOW_INSECURE,
    AUTH_LDAP_BASE,
    AUTH_LDAP_BIND_DN,
    AUTH_LDAP_BIND_PASSWORD,
    AUTH_LDAP_CREATE_USERS,
    AUTH_LDAP_GROUP_BASE,
    AUTH_LDAP_GROUP_CLASS,
    AUTH_LDAP_GROUP_FILTER_EXTRA_ARG,
    AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE,
    AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE,
    AUTH_LDAP_GROUP_NAME_ATTRIBUTE,
    AUTH_LDAP_GROUPS_LOCAL_MANAGEMENT,
    AUTH_LDAP_NESTED_GROUPS,
    AUTH_LDAP_SEARCH_SCOPE,
    AUTH_LDAP_START_TLS,
    AUTH_LDAP_TIMEOUT,
    AUTH_LDAP_TLS_CA_FILE,
    AUTH_LDAP_TLS_REQUIRE_CERT,
    AUTH_LDAP_URI,
    AUTH_LDAP_USER_ID_ATTRIBUTE,
    AUTH_LDAP_USER_MAIL_ATTRIBUTE,
    AUTH_LDAP_USER_NAME_ATTRIBUTE,
    AUTH_LDAP_USERNAME_ATTRIBUTE,
    AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG,
    AUTH_LOGOUT_REDIRECT_URL,
    AUTH_OIDC_ALLOW_INSECURE,
    AUTH_OIDC_AUTO_LOGIN,
    AUTH_OIDC_CLIENT_ID,
    AUTH_OIDC_CLIENT_NAME,
    AUTH_OIDC_CLIENT_SECRET,
    AUTH_OIDC_CREATE_USERS,
    AUTH_OIDC_DISCOVERY_CACHE,
    AUTH_OIDC_FORCE_USERINFO,
    AUTH_OIDC_GROUPS_ATTRIBUTE,
    AUTH_OIDC_GROUPS_LOCAL_MANAGEMENT,
    AUTH_OIDC_ISSUER,
    AUTH_OIDC_NAME_ATTRIBUTE_OVERWRITE,
    AUTH_OIDC_SCOPE_OVERWRITE,
    AUTH_OIDC_SESSION_REFRESH,
    AUTH_OIDC_TIMEOUT,
    AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD,
    AUTH_PROVIDERS,
    AUTH_PROXY_ALLOW_WIDE_NETWORKS,
    AUTH_PROXY_CREATE_USERS,
    AUTH_PROXY_EMAIL_HEADER,
    AUTH_PROXY_GROUPS_HEADER,
    AUTH_PROXY_GROUPS_LOCAL_MANAGEMENT,
    AUTH_PROXY_GROUPS_SEPARATOR,
    AUTH_PROXY_ID_HEADER,
    AUTH_PROXY_NAME_HEADER,
    AUTH_PROXY_PRESET,
    AUTH_PROXY_SECRET,
    AUTH_PROXY_SECRET_HEADER,
    AUTH_PROXY_TRUSTED_NETWORKS,
    AUTH_PROXY_USER_HEADER,
    AUTHENTICATION_BACKENDS,
    KNOWN_PROVIDERS,
    OIDC_AUTHENTICATION_CALLBACK_URL,
    OIDC_PKCE_CODE_CHALLENGE_METHOD,
    OIDC_REDIRECT_FIELD_NAME,
    OIDC_USE_PKCE,
    PASSWORD_PROVIDERS,
)

# argon2id, OWASP's parameters for a home server by default (19 MiB, 2 passes, 1 lane). OWASP's
# equally strong pairs of memory and passes are the minimum: less memory needs more passes.
OWASP_ARGON2_MINIMUMS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
AUTH_ARGON2_MEMORY_KIB = env_int("AUTH_ARGON2_MEMORY_KIB", 19456)
AUTH_ARGON2_TIME_COST = env_int("AUTH_ARGON2_TIME_COST", 2, minimum=1)
AUTH_ARGON2_PARALLELISM = env_int("AUTH_ARGON2_PARALLELISM", 1, minimum=1)
_memory, _passes = AUTH_ARGON2_MEMORY_KIB, AUTH_ARGON2_TIME_COST
_smallest = OWASP_ARGON2_MINIMUMS[-1][0]
if _memory < _smallest:
    raise ImproperlyConfigured(
        f"AUTH_ARGON2_MEMORY_KIB must be at least {_smallest} (7 MiB, OWASP's smallest argon2id "
        f"setting), not {_memory}."
    )
_needed = next(t for m, t in OWASP_ARGON2_MINIMUMS if _memory >= m)
if _passes < _needed:
    raise ImproperlyConfigured(
        f"AUTH_ARGON2_TIME_COST must be at least {_needed} with AUTH_ARGON2_MEMORY_KIB={_memory} "
        "(OWASP's argon2id minimums: 46 MiB x 1 pass, 19 MiB x 2, 12 MiB x 3, 9 MiB x 4, "
        f"7 MiB x 5), not {_passes}."
    )
if AUTH_ARGON2_PARALLELISM * 8 > AUTH_ARGON2_MEMORY_KIB:
    raise ImproperlyConfigured("AUTH_ARGON2_PARALLELISM needs 8 KiB of memory per lane.")
# Hashes at once per server process (each holds its memory while it runs): about 40 MiB worth
# for the whole server, shared by its worker processes (WEB_CONCURRENCY, as gunicorn.conf.py).
_workers = max(1, env_int("WEB_CONCURRENCY", 2 if env_str("REDIS_URL") else 1))
AUTH_ARGON2_CONCURRENCY = env_int(
    "AUTH_ARGON2_CONCURRENCY", max(1, 40960 // (AUTH_ARGON2_MEMORY_KIB * _workers)), minimum=1
)
AUTH_ARGON2_QUEUE_WAIT = env_int("AUTH_ARGON2_QUEUE_WAIT", 2, minimum=0)
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Login throttling: failures per (account, client address), per client address and per account
# (the ceiling) within the window lock further attempts for the lock-out time. Counted in the
# cache, so shared across processes with Redis.
AUTH_THROTTLE_ACCOUNT_ATTEMPTS = env_int("AUTH_THROTTLE_ACCOUNT_ATTEMPTS", 5, minimum=1)
AUTH_THROTTLE_IP_ATTEMPTS = env_int("AUTH_THROTTLE_IP_ATTEMPTS", 20, minimum=1)
# Failures for one account from all addresses together (addresses it logged in from are exempt).
AUTH_THROTTLE_ACCOUNT_CEILING = env_int("AUTH_THROTTLE_ACCOUNT_CEILING", 100, minimum=1)
AUTH_THROTTLE_WINDOW = env_duration("AUTH_THROTTLE_WINDOW", "15m")
AUTH_THROTTLE_LOCKOUT = env_duration("AUTH_THROTTLE_LOCKOUT", "15m")

# API tokens: calls per token within the window (counted in the cache, like the login
# throttle, so shared across processes with Redis).
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600, minimum=1)
API_RATE_WINDOW = env_duration("API_RATE_WINDOW", "1m")

# --- Sessions --------------------------------------------------------------------------------
SESSION_ENGINE = "sessions_admin.engine"
AUTH_SESSION_IDLE_TIME = env_duration("AUTH_SESSION_IDLE_TIME", "24h")
AUTH_SESSION_EXPIRY_TIME = env_duration("AUTH_SESSION_EXPIRY_TIME", "30d")
SESSION_COOKIE_AGE = AUTH_SESSION_EXPIRY_TIME
# How long the audit log and the login history are kept (`prune`, run at start and on logins,
# removes older entries; ended invite and reset links go with the login history).
AUDIT_RETENTION = env_duration("AUDIT_RETENTION", "365d")
LOGIN_HISTORY_RETENTION = env_duration("LOGIN_HISTORY_RETENTION", "90d")
SESSION_COOKIE_NAME = "homeportal_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
# The parent domain the session cookie is shared with (".home.example.org"), so the protected
# apps on its subdomains send it to the gate. AUTH_COOKIE_DOMAIN is accepted as another name.
SESSION_COOKIE_DOMAIN = env_str("SESSION_COOKIE_DOMAIN") or env_str("AUTH_COOKIE_DOMAIN") or None
CSRF_COOKIE_NAME = "homeportal_csrf"
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "homeportal.views.csrf_failure"
if HTTPS:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:", "http:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *AUTH_FORM_ACTION_ORIGINS],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
# The interface's languages. Each user may pick one in their preferences; otherwise the
# browser's Accept-Language chooses (LocaleMiddleware), else LANGUAGE_CODE.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "boards.icons.BrandIconFinder",  # the bundled brand icons (boards/icons.py)
]
# Where the brand icons are written once, for collectstatic to pick up (not needed at run time).
BRAND_ICONS_DIR = Path(env_str("BRAND_ICONS_DIR", str(BASE_DIR / "build" / "brand-icons")))
# The largest icon file people may upload (boards/uploads.py), in bytes; stored in the database.
ICON_UPLOAD_MAX_BYTES = env_int("ICON_UPLOAD_MAX_BYTES", 512 * 1024, minimum=1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusals_on_one_line": {"()": "homeportal.log.RefusalsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # A refused request (403, 404, 400...) is one line, not a traceback (homeportal.log).
        "django.request": {"filters": ["refusals_on_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
