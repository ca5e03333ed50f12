"""Fixtures for the single sign-on tests: real servers (slapd, an OpenID provider) started
once per module, and helpers to switch providers on with pytest-django's `settings`.

The server helpers are imported inside the fixtures: the other account tests run without
python-ldap, Node or slapd installed.
"""

import shutil

import pytest

from homeportal.auth_settings import backends_for


def enable(settings, *providers: str) -> None:
    """AUTH_PROVIDERS and AUTHENTICATION_BACKENDS as settings.py would build them."""
    settings.AUTH_PROVIDERS = list(providers)
    settings.AUTHENTICATION_BACKENDS = backends_for(providers)


@pytest.fixture(scope="module")
def directory():
    """A seeded slapd (tests/services/slapd.py) for one test module."""
    if not shutil.which("slapd", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        pytest.skip("slapd is not installed (apt-get install slapd ldap-utils)")
    pytest.importorskip("ldap", reason="python-ldap is not installed (pip install '.[ldap]')")
    from tests.services.slapd import Directory

    with Directory() as server:
        yield server


@pytest.fixture
def owner(db):
    """The instance's owner (onboarding is over, so pages are reachable)."""
    from tests.conftest import make_group, make_user

    return make_user("olivia", make_group("admins", "admin", position=1), is_owner=True)


@pytest.fixture
def ldap_on(settings, directory, owner):
    """credentials + ldap against the seeded directory, plain ldap://, groupOfNames."""
    enable(settings, "credentials", "ldap")
    settings.AUTH_LDAP_URI = directory.uri
    settings.AUTH_LDAP_BIND_DN = directory.service_dn
    settings.AUTH_LDAP_BIND_PASSWORD = directory.service_password
    settings.AUTH_LDAP_BASE = directory.base_dn
    settings.AUTH_LDAP_SEARCH_SCOPE = "sub"
    settings.AUTH_LDAP_GROUP_CLASS = "groupOfNames"
    settings.AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE = ""
    settings.AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE = ""
    settings.AUTH_LDAP_NESTED_GROUPS = False
    settings.AUTH_LDAP_START_TLS = False
    settings.AUTH_LDAP_TLS_CA_FILE = ""
    # Plain ldap:// to the test directory: a deployment must opt in like this, or start-up
    # refuses it (homeportal/auth_checks.py; tests/accounts/test_sso_settings.py).
    settings.AUTH_LDAP_ALLOW_INSECURE = True
    return settings
