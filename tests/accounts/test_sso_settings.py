"""Provider settings from the environment (homeportal/auth_settings.py): what each provider
requires, what is refused at start-up, what the settings turn into, and the system checks."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from accounts.apps import provider_checks

ROOT = Path(__file__).resolve().parents[2]


def run_settings(tmp_path, expression: str = "s.AUTHENTICATION_BACKENDS", **variables):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "AUTH_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="homeportal.settings", DATA_DIR=str(tmp_path), **variables
    )
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


LDAP = {"AUTH_PROVIDERS": "ldap", "AUTH_LDAP_URI": "ldaps://ldap.example.org",
        "AUTH_LDAP_BASE": "dc=example,dc=org"}  # fmt: skip
OIDC = {"AUTH_PROVIDERS": "oidc", "AUTH_OIDC_ISSUER": "https://id.example.org/realms/home",
        "AUTH_OIDC_CLIENT_ID": "homeportal", "AUTH_OIDC_CLIENT_SECRET": "s3cret"}  # fmt: skip


def test_every_provider_at_once_builds_the_backends_in_order(tmp_path):
    variables = {**LDAP, **OIDC, "AUTH_PROXY_TRUSTED_NETWORKS": "10.0.0.2"}
    variables["AUTH_PROVIDERS"] = "proxy, OIDC, ldap, credentials"
    result = run_settings(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        [
            "accounts.backends.CredentialsBackend",
            "accounts.providers.ldap.LDAPBackend",
            "accounts.providers.oidc.OIDCBackend",
            "accounts.providers.proxy.ProxyBackend",
            "groups.backends.ResolverBackend",
        ]
    )


@pytest.mark.parametrize(
    ("missing", "base"),
    [
        ("AUTH_LDAP_URI", LDAP),
        ("AUTH_LDAP_BASE", LDAP),
        ("AUTH_OIDC_ISSUER", OIDC),
        ("AUTH_OIDC_CLIENT_ID", OIDC),
        ("AUTH_OIDC_CLIENT_SECRET", OIDC),
    ],
)
def test_a_listed_provider_needs_its_settings(tmp_path, missing, base):
    variables = {k: v for k, v in base.items() if k != missing}
    result = run_settings(tmp_path, **variables)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set when AUTH_PROVIDERS lists" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUTH_LDAP_URI", "ldap.example.org", "AUTH_LDAP_URI must be a ldap:// or ldaps://"),
        ("AUTH_LDAP_SEARCH_SCOPE", "subtree", "AUTH_LDAP_SEARCH_SCOPE must be one of"),
        ("AUTH_LDAP_USERNAME_ATTRIBUTE", "uid)(cn=*", "must be an LDAP attribute name"),
        ("AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG", "(objectClass=person", "must be an LDAP filter"),
        ("AUTH_LDAP_GROUP_FILTER_EXTRA_ARG", "cn=x", "must be an LDAP filter"),
        ("AUTH_LDAP_TLS_CA_FILE", "/nonexistent/ca.pem", "not a readable file"),
        ("AUTH_LDAP_TLS_REQUIRE_CERT", "maybe", "AUTH_LDAP_TLS_REQUIRE_CERT"),
        ("AUTH_LDAP_START_TLS", "true", "an ldaps:// URL is encrypted already"),
    ],
)
def test_bad_ldap_settings_stop_start_up(tmp_path, variable, value, message):
    result = run_settings(tmp_path, **{**LDAP, variable: value})
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUTH_OIDC_ISSUER", "id.example.org", "AUTH_OIDC_ISSUER must be a http:// or https://"),
        ("AUTH_OIDC_SCOPE_OVERWRITE", "email profile", "must contain the scope openid"),
        ("AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD", "private_key_jwt", "must be one of"),
        ("AUTH_OIDC_AUTO_LOGIN", "sometimes", "AUTH_OIDC_AUTO_LOGIN must be true or false"),
        ("AUTH_LOGOUT_REDIRECT_URL", "auth.example.org/logout", "AUTH_LOGOUT_REDIRECT_URL"),
    ],
)
def test_bad_oidc_settings_stop_start_up(tmp_path, variable, value, message):
    result = run_settings(tmp_path, **{**OIDC, variable: value})
    assert result.returncode != 0 and message in result.stderr


def test_oidc_issuer_may_lead_a_form(tmp_path):
    """Logout is a POST answered by a redirect to the provider: CSP form-action allows it."""
    result = run_settings(tmp_path, "s.SECURE_CSP['form-action']", **OIDC)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[<CSP.SELF: \"'self'\">, 'https://id.example.org']"


def test_secrets_can_come_from_files(tmp_path):
    secret = tmp_path / "client-secret"
    secret.write_text("from-a-file\n")
    variables = {k: v for k, v in OIDC.items() if k != "AUTH_OIDC_CLIENT_SECRET"}
    result = run_settings(
        tmp_path, "s.AUTH_OIDC_CLIENT_SECRET", **variables, AUTH_OIDC_CLIENT_SECRET_FILE=str(secret)
    )
    assert result.stdout.strip() == "from-a-file"


def test_groups_local_management_per_provider(tmp_path):
    result = run_settings(
        tmp_path, "s.AUTH_GROUPS_LOCAL_MANAGEMENT",
        AUTH_OIDC_GROUPS_LOCAL_MANAGEMENT="true", AUTH_PROXY_GROUPS_LOCAL_MANAGEMENT="yes",
    )  # fmt: skip
    assert result.stdout.strip() == "('oidc', 'proxy')"


# --- system checks ---------------------------------------------------------------------------


def check_ids(settings) -> set[str]:
    return {message.id for message in provider_checks()}


def test_checks_warn_about_unsafe_but_allowed_settings(settings):
    settings.AUTH_PROVIDERS = ["credentials", "ldap", "oidc", "proxy"]
    settings.AUTH_LOGOUT_REDIRECT_URL = ""
    settings.AUTH_OIDC_ISSUER = "http://id.example.org"
    settings.AUTH_LDAP_URI = "ldap://ldap.example.org"
    settings.AUTH_LDAP_START_TLS = False
    settings.AUTH_LDAP_TLS_REQUIRE_CERT = "never"
    assert check_ids(settings) == {
        "accounts.W001", "accounts.W002", "accounts.W003", "accounts.W004",
    }  # fmt: skip
    settings.AUTH_LOGOUT_REDIRECT_URL = "https://auth.example.org/logout"
    settings.AUTH_OIDC_ISSUER = "https://id.example.org"
    settings.AUTH_LDAP_START_TLS = True
    settings.AUTH_LDAP_TLS_REQUIRE_CERT = "demand"
    assert check_ids(settings) == set()


# --- what LDAP settings turn into ------------------------------------------------------------


@pytest.fixture
def ldap_module():
    pytest.importorskip("ldap", reason="python-ldap is not installed")
    from accounts.providers import ldap as module

    return module


@pytest.mark.parametrize(
    ("group_class", "member", "value"),
    [
        ("groupOfNames", "member", "dn"),
        ("groupOfUniqueNames", "uniqueMember", "dn"),
        ("posixGroup", "memberUid", "uid"),
        ("group", "member", "dn"),  # Active Directory
    ],
)
def test_group_classes_default_to_their_member_attribute(settings, ldap_module, group_class,
                                                         member, value):  # fmt: skip
    settings.AUTH_LDAP_GROUP_CLASS = group_class
    settings.AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE = ""
    settings.AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE = ""
    group_type = ldap_module.library_settings()["GROUP_TYPE"]
    assert (group_type.member_attr, group_type.member_value) == (member, value)


def test_active_directory_settings(settings, ldap_module):
    ldap = ldap_module.ldap
    settings.AUTH_LDAP_URI = "ldaps://dc1.corp.example.com"
    settings.AUTH_LDAP_BASE = "DC=corp,DC=example,DC=com"
    settings.AUTH_LDAP_USERNAME_ATTRIBUTE = "sAMAccountName"
    settings.AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG = (
        "(&(objectCategory=person)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
    )
    settings.AUTH_LDAP_GROUP_CLASS = "group"
    settings.AUTH_LDAP_NESTED_GROUPS = True
    settings.AUTH_LDAP_TLS_CA_FILE = "/etc/ssl/certs/corp-ca.pem"
    values = ldap_module.library_settings()
    search = values["USER_SEARCH"]
    assert search.filterstr.startswith("(&(sAMAccountName=%(user)s)(&(objectCategory=person)")
    assert search.filterstr % {"user": "x"}  # no stray % in the administrator's filter
    assert values["GROUP_TYPE"].nested and values["GROUP_TYPE"].member_attr == "member"
    options = list(values["CONNECTION_OPTIONS"].items())
    assert options[-1] == (ldap.OPT_X_TLS_NEWCTX, 0)  # last: it applies the TLS options
    assert (ldap.OPT_X_TLS_CACERTFILE, "/etc/ssl/certs/corp-ca.pem") in options
    assert (ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND) in options
    assert (ldap.OPT_REFERRALS, 0) in options


def test_stable_identifiers(settings, ldap_module):
    guid = uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    assert ldap_module.stable_id("CN=X,DC=corp", {"objectGUID": [guid.bytes_le]}) == str(guid)
    assert ldap_module.stable_id("uid=x,dc=org", {"entryUUID": ["ABC-1"]}) == "abc-1"
    assert ldap_module.stable_id("UID=X,DC=Example", {}) == "dn:uid=x,dc=example"
    settings.AUTH_LDAP_USER_ID_ATTRIBUTE = "uidNumber"
    attrs = {"uidNumber": ["1001"], "entryUUID": ["abc"]}
    assert ldap_module.stable_id("uid=x", attrs) == "1001"


def test_filter_values_are_escaped(ldap_module):
    assert ldap_module.filter_value("*)(uid=*") == r"\2a\29\28uid=\2a"
    assert ldap_module.filter_value("50%") == "50%%"  # survives django-auth-ldap's % formatting


# --- transport that would expose passwords, secrets or logins --------------------------------


@pytest.mark.parametrize(
    ("variables", "variable"),
    [
        ({"AUTH_LDAP_URI": "ldap://ldap.example.org"}, "AUTH_LDAP_URI"),
        ({"AUTH_LDAP_URI": "ldap://127.0.0.1:389"}, "AUTH_LDAP_URI"),
        ({"AUTH_LDAP_TLS_REQUIRE_CERT": "never"}, "AUTH_LDAP_TLS_REQUIRE_CERT"),
        ({"AUTH_LDAP_TLS_REQUIRE_CERT": "allow"}, "AUTH_LDAP_TLS_REQUIRE_CERT"),
        ({"AUTH_LDAP_URI": "ldap://ldap.example.org", "AUTH_LDAP_START_TLS": "true",
          "AUTH_LDAP_TLS_REQUIRE_CERT": "never"}, "AUTH_LDAP_TLS_REQUIRE_CERT"),
    ],
)  # fmt: skip
def test_ldap_sending_passwords_in_clear_or_unchecked_stops_start_up(tmp_path, variables,
                                                                      variable):  # fmt: skip
    result = run_settings(tmp_path, **{**LDAP, **variables})
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr and "AUTH_LDAP_ALLOW_INSECURE=true" in result.stderr
    allowed = run_settings(tmp_path, **{**LDAP, **variables, "AUTH_LDAP_ALLOW_INSECURE": "true"})
    assert allowed.returncode == 0, allowed.stderr


def test_ldap_with_starttls_or_ldaps_and_checked_certificates_starts(tmp_path):
    starttls = {**LDAP, "AUTH_LDAP_URI": "ldap://ldap.example.org", "AUTH_LDAP_START_TLS": "true"}
    assert run_settings(tmp_path, **starttls).returncode == 0
    assert (
        run_settings(tmp_path, **{**LDAP, "AUTH_LDAP_TLS_REQUIRE_CERT": "demand"}).returncode == 0
    )


def test_plain_http_oidc_issuer_outside_loopback_stops_start_up(tmp_path):
    plain = {**OIDC, "AUTH_OIDC_ISSUER": "http://id.example.org/realms/home"}
    result = run_settings(tmp_path, **plain)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert "AUTH_OIDC_ISSUER" in result.stderr and "AUTH_OIDC_ALLOW_INSECURE" in result.stderr
    assert run_settings(tmp_path, **plain, AUTH_OIDC_ALLOW_INSECURE="true").returncode == 0


@pytest.mark.parametrize(
    "issuer", ["http://127.0.0.1:9000", "http://localhost:9000/realms/x", "http://[::1]:9000"]
)
def test_plain_http_oidc_issuer_on_loopback_starts(tmp_path, issuer):
    result = run_settings(tmp_path, **{**OIDC, "AUTH_OIDC_ISSUER": issuer})
    assert result.returncode == 0, result.stderr


PROXY = {"AUTH_PROVIDERS": "credentials,proxy"}


@pytest.mark.parametrize(
    "networks", ["10.0.0.0/16", "192.168.0.0/23", "fd00::/48", "::ffff:10.0.0.0/112"]
)
def test_proxy_networks_wider_than_a_slash_24_or_64_stop_start_up(tmp_path, networks):
    result = run_settings(tmp_path, **PROXY, AUTH_PROXY_TRUSTED_NETWORKS=networks)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert "AUTH_PROXY_TRUSTED_NETWORKS" in result.stderr
    assert "AUTH_PROXY_ALLOW_WIDE_NETWORKS=true" in result.stderr
    allowed = run_settings(tmp_path, **PROXY, AUTH_PROXY_TRUSTED_NETWORKS=networks,
                           AUTH_PROXY_ALLOW_WIDE_NETWORKS="true")  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize("networks", ["10.0.0.2", "192.168.1.0/24", "fd00::/64", "::1"])
def test_proxy_networks_of_a_host_up_to_a_slash_24_or_64_start(tmp_path, networks):
    result = run_settings(tmp_path, **PROXY, AUTH_PROXY_TRUSTED_NETWORKS=networks)
    assert result.returncode == 0, result.stderr


def test_every_address_is_never_trusted_even_when_wide_networks_are_allowed(tmp_path):
    result = run_settings(tmp_path, **PROXY, AUTH_PROXY_TRUSTED_NETWORKS="0.0.0.0/0",
                          AUTH_PROXY_ALLOW_WIDE_NETWORKS="true")  # fmt: skip
    assert result.returncode != 0 and "trusts every address" in result.stderr


def test_ipv4_mapped_trusted_networks_become_ipv4(tmp_path):
    result = run_settings(
        tmp_path,
        "s.AUTH_PROXY_TRUSTED_NETWORKS",
        **PROXY,
        AUTH_PROXY_TRUSTED_NETWORKS="::ffff:10.0.0.2, ::ffff:10.1.0.0/120",
    )
    assert result.stdout.strip() == ("[IPv4Network('10.0.0.2/32'), IPv4Network('10.1.0.0/24')]"), (
        result.stderr
    )


def test_a_short_proxy_secret_stops_start_up(tmp_path):
    result = run_settings(tmp_path, **PROXY, AUTH_PROXY_TRUSTED_NETWORKS="10.0.0.2",
                          AUTH_PROXY_SECRET="short")  # fmt: skip
    assert result.returncode != 0 and "AUTH_PROXY_SECRET must be at least 16" in result.stderr


def test_a_settings_module_of_ones_own_cannot_skip_the_refusals(tmp_path):
    """The accounts app checks the final settings again (after any override)."""
    module = tmp_path / "own_settings.py"
    module.write_text(
        "from homeportal.settings import *  # noqa\n"
        "AUTH_PROVIDERS = ['credentials', 'ldap']\n"
        "AUTH_LDAP_URI = 'ldap://ldap.example.org'\nAUTH_LDAP_BASE = 'dc=example,dc=org'\n"
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "AUTH_"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="own_settings", DATA_DIR=str(tmp_path),
                       PYTHONPATH=f"{tmp_path}:{ROOT}")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "AUTH_LDAP_ALLOW_INSECURE" in result.stderr
