"""LDAP login against a real slapd (tests/services/slapd.py): the password form, the service
bind and search, the user's bind, groups of every kind, TLS, filter escaping, stable keys, and
a directory that is down or refuses homeportal."""

import logging

import pytest
from django.test import Client

from accounts.models import ExternalIdentity, User
from groups import rules
from groups.models import Membership
from sessions_admin.models import LoginRecord, UserSession
from tests.conftest import PASSWORD, make_group, make_user

ldap = pytest.importorskip("ldap", reason="python-ldap is not installed (pip install '.[ldap]')")
slapd = pytest.importorskip("tests.services.slapd")

pytestmark = [pytest.mark.services, pytest.mark.django_db]
LOGIN = "/accounts/login/"
UNAVAILABLE = b"The directory cannot be reached right now"


def log_in(username, password, client=None, **extra):
    client = client or Client()
    response = client.post(LOGIN, {"username": username, "password": password, **extra})
    return client, response


def logged_in_user(client):
    user = client.get("/").wsgi_request.user
    return user if user.is_authenticated else None


def entry_uuid(directory, dn) -> str:
    with directory.admin() as conn:
        [(_, attrs)] = conn.search_s(dn, ldap.SCOPE_BASE, attrlist=["entryUUID"])
    return attrs["entryUUID"][0].decode()


# --- logging in ------------------------------------------------------------------------------


def test_ldap_login_creates_a_directory_account_keyed_by_entry_uuid(ldap_on, directory):
    client, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)

    assert response.status_code == 302 and response["Location"] == "/"
    user = logged_in_user(client)
    assert user.username == "alice" and user.provider == "ldap"
    assert user.email == slapd.ALICE.mail and user.display_name == slapd.ALICE.display_name
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.provider, identity.issuer) == ("ldap", "directory")
    assert identity.subject == entry_uuid(directory, slapd.ALICE.dn).lower()
    assert UserSession.objects.get(user=user).provider == "ldap"
    assert LoginRecord.objects.get(user=user, success=True).provider == "ldap"


def test_ldap_second_login_uses_the_same_account(ldap_on):
    first, _ = log_in("alice", slapd.ALICE.password)
    second, _ = log_in("ALICE ", slapd.ALICE.password)
    assert logged_in_user(first) == logged_in_user(second)
    assert User.objects.filter(provider="ldap").count() == 1


def test_ldap_wrong_password_is_refused(ldap_on):
    client, response = log_in(slapd.ALICE.uid, "not-alices-password")
    assert response.status_code == 400
    assert b"Wrong username or password." in response.content
    assert logged_in_user(client) is None
    assert not User.objects.filter(username="alice").exists()
    record = LoginRecord.objects.get()
    assert (record.success, record.username) == (False, "alice")


def test_ldap_unknown_user_is_refused(ldap_on):
    _, response = log_in("mallory", "whatever-password")
    assert response.status_code == 400
    assert b"Wrong username or password." in response.content
    assert not User.objects.filter(provider="ldap").exists()


def test_ldap_empty_password_never_binds_anonymously(ldap_on):
    # An LDAP bind with an empty password is an anonymous bind that "succeeds".
    client, response = log_in(slapd.ALICE.uid, "")
    assert response.status_code == 400
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "*)(uid=*",
        "*)(uid=*))(|(uid=*",
        "alice)(|(uid=*",
        "alice)(objectClass=*",
        "*)(|(objectClass=*)",
        "a*",
        "\\2a",
        "alice\x00",
    ],
)
def test_ldap_filter_injection_logs_nobody_in(ldap_on, username):
    for password in (slapd.ALICE.password, "x"):
        client, response = log_in(username, password)
        assert response.status_code == 400
        assert logged_in_user(client) is None
    assert not User.objects.filter(provider="ldap").exists()


def test_ldap_user_with_filter_characters_in_the_name_logs_in(ldap_on):
    # uid "o'brien(x)*": escaped, it finds exactly this entry.
    client, response = log_in(slapd.SPECIAL.uid, slapd.SPECIAL.password)
    assert response.status_code == 302
    assert logged_in_user(client).username == "o-brien-x"  # normalised to the username rule


def test_ldap_extra_filter_narrows_who_may_log_in(ldap_on):
    ldap_on.AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG = f"(mail={slapd.BOB.mail})"
    assert log_in(slapd.ALICE.uid, slapd.ALICE.password)[1].status_code == 400
    assert log_in(slapd.BOB.uid, slapd.BOB.password)[1].status_code == 302


def test_ldap_search_scope_one_level(ldap_on):
    ldap_on.AUTH_LDAP_BASE = slapd.BASE_DN
    ldap_on.AUTH_LDAP_SEARCH_SCOPE = "one"  # people are one level further down
    assert log_in(slapd.BOB.uid, slapd.BOB.password)[1].status_code == 400
    ldap_on.AUTH_LDAP_BASE = slapd.PEOPLE_DN
    ldap_on.AUTH_LDAP_GROUP_BASE = slapd.GROUPS_DN
    assert log_in(slapd.BOB.uid, slapd.BOB.password)[1].status_code == 302


# --- accounts --------------------------------------------------------------------------------


def test_ldap_login_never_takes_over_a_local_account_of_the_same_name(ldap_on):
    local = make_user("alice", display_name="Local Alice")
    client, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)

    assert response.status_code == 400
    content = response.content.decode()
    assert "but that name belongs to another account" in content
    assert "An admin can rename or delete that account" in content
    assert logged_in_user(client) is None
    local.refresh_from_db()
    assert local.provider == "credentials" and local.has_usable_password()
    assert not ExternalIdentity.objects.exists()
    record = LoginRecord.objects.get()
    assert record.provider == "ldap" and "taken by another account" in record.reason
    # The local account still logs in with its own password.
    assert log_in("alice", PASSWORD)[1].status_code == 302


def test_ldap_renamed_entry_keeps_its_account(ldap_on, directory):
    erin = directory.add_user("erin", "erin-ldap-password", cn="Erin Evans")
    try:
        client, _ = log_in("erin", "erin-ldap-password")
        account = logged_in_user(client)
        with directory.admin() as conn:
            conn.rename_s(erin.dn, "uid=erin.evans")
        renamed_dn = f"uid=erin.evans,{slapd.PEOPLE_DN}"
        client, response = log_in("erin.evans", "erin-ldap-password")
        assert response.status_code == 302
        assert logged_in_user(client) == account  # same entryUUID, same account and name
        assert User.objects.filter(provider="ldap").count() == 1
    finally:
        directory.delete(renamed_dn if "renamed_dn" in locals() else erin.dn)


def test_ldap_disabled_account_is_refused(ldap_on):
    client, _ = log_in(slapd.BOB.uid, slapd.BOB.password)
    bob = logged_in_user(client)
    bob.is_active = False
    bob.save()
    assert logged_in_user(client) is None  # the open session ends
    client, response = log_in(slapd.BOB.uid, slapd.BOB.password)
    assert response.status_code == 400
    assert b"Your homeportal account is disabled" in response.content


def test_ldap_creation_of_accounts_can_be_turned_off(ldap_on):
    ldap_on.AUTH_LDAP_CREATE_USERS = False
    _, response = log_in(slapd.BOB.uid, slapd.BOB.password)
    assert response.status_code == 400
    assert b"accounts are not created automatically" in response.content
    # An account an admin prepared for this directory is linked at the first login.
    User.objects.create_user("bob", None, provider="ldap")
    _, response = log_in(slapd.BOB.uid, slapd.BOB.password)
    assert response.status_code == 302
    assert ExternalIdentity.objects.get().user.username == "bob"


# --- groups ----------------------------------------------------------------------------------


def member_of(user) -> dict[str, str]:
    return dict(Membership.objects.filter(user=user).values_list("group__name", "managed_by"))


@pytest.mark.parametrize(
    ("group_class", "person", "groups"),
    [
        ("groupOfNames", slapd.ALICE, {"home-admins", "everybody"}),
        ("groupOfUniqueNames", slapd.ALICE, {"family-group"}),
        ("posixGroup", slapd.BOB, {"media-group"}),
        ("groupOfNames", slapd.DAVE, set()),
    ],
)
def test_ldap_groups_are_mapped(ldap_on, group_class, person, groups):
    ldap_on.AUTH_LDAP_GROUP_CLASS = group_class
    mapped = {
        "home-admins": ["ADMINS"],  # by cn, case-insensitively
        "family-group": ["family"],
        "media-group": [slapd.MEDIA_DN.upper()],  # by DN
        "everybody": ["users"],
        "unmapped": [],
    }
    for name, external in mapped.items():
        group = make_group(name)
        group.external_names = external
        group.save()

    client, response = log_in(person.uid, person.password)

    assert response.status_code == 302
    assert member_of(logged_in_user(client)) == dict.fromkeys(groups, "ldap")


def test_ldap_nested_groups(ldap_on):
    staff = make_group("staff-group")
    staff.external_names = ["staff"]
    staff.save()
    helpers = make_group("helpers-group")
    helpers.external_names = ["helpers"]
    helpers.save()

    client, _ = log_in(slapd.CAROL.uid, slapd.CAROL.password)
    carol = logged_in_user(client)
    assert set(member_of(carol)) == {"helpers-group"}  # flat: only the direct group

    ldap_on.AUTH_LDAP_NESTED_GROUPS = True
    log_in(slapd.CAROL.uid, slapd.CAROL.password)
    assert set(member_of(carol)) == {"helpers-group", "staff-group"}  # staff ∋ helpers ∋ carol


def test_ldap_groups_are_mirrored_at_every_login(ldap_on, directory):
    family = make_group("family-group")
    family.external_names = ["family"]
    family.save()
    hand_made = make_group("hand-made")
    ldap_on.AUTH_LDAP_GROUP_CLASS = "groupOfUniqueNames"

    client, _ = log_in(slapd.BOB.uid, slapd.BOB.password)
    bob = logged_in_user(client)
    rules.add_member(
        hand_made, bob, actor=rules.system("tests")
    )  # an admin's choice: logins leave it alone
    assert member_of(bob) == {"family-group": "ldap", "hand-made": ""}
    with pytest.raises(rules.RuleError, match="comes from LDAP and is changed there"):
        rules.remove_member(family, bob, actor=rules.system("tests"))

    directory.remove_member(slapd.FAMILY_DN, slapd.BOB)
    try:
        log_in(slapd.BOB.uid, slapd.BOB.password)
        assert member_of(bob) == {"hand-made": ""}
    finally:
        directory.add_member(slapd.FAMILY_DN, slapd.BOB)
    log_in(slapd.BOB.uid, slapd.BOB.password)
    assert member_of(bob) == {"family-group": "ldap", "hand-made": ""}


def test_ldap_groups_managed_locally_are_left_to_admins(ldap_on):
    ldap_on.AUTH_GROUPS_LOCAL_MANAGEMENT = ("ldap",)
    admins = make_group("home-admins")
    admins.external_names = ["admins"]
    admins.save()
    client, _ = log_in(slapd.ALICE.uid, slapd.ALICE.password)
    assert member_of(logged_in_user(client)) == {}


# --- TLS -------------------------------------------------------------------------------------


def test_ldap_starttls_with_the_right_ca(ldap_on, directory):
    ldap_on.AUTH_LDAP_START_TLS = True
    ldap_on.AUTH_LDAP_TLS_CA_FILE = directory.cafile
    _, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)
    assert response.status_code == 302


def test_ldap_starttls_with_a_wrong_ca_fails_clearly(ldap_on, directory, caplog):
    ldap_on.AUTH_LDAP_START_TLS = True
    ldap_on.AUTH_LDAP_TLS_CA_FILE = directory.wrong_cafile
    with caplog.at_level(logging.ERROR, logger="accounts.providers.ldap"):
        client, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)
    assert response.status_code == 400
    assert UNAVAILABLE in response.content
    assert logged_in_user(client) is None
    assert "StartTLS failed: the directory's TLS certificate was not accepted" in caplog.text
    # The same settings with the right CA work again: no TLS state leaked between logins.
    ldap_on.AUTH_LDAP_TLS_CA_FILE = directory.cafile
    assert log_in(slapd.ALICE.uid, slapd.ALICE.password)[1].status_code == 302


def test_ldaps(ldap_on, directory):
    ldap_on.AUTH_LDAP_URI = directory.ldaps_uri
    ldap_on.AUTH_LDAP_TLS_CA_FILE = directory.cafile
    client, response = log_in(slapd.BOB.uid, slapd.BOB.password)
    assert response.status_code == 302
    assert logged_in_user(client).username == "bob"


def test_ldaps_with_a_wrong_ca_fails_clearly(ldap_on, directory, caplog):
    ldap_on.AUTH_LDAP_URI = directory.ldaps_uri
    ldap_on.AUTH_LDAP_TLS_CA_FILE = directory.wrong_cafile
    with caplog.at_level(logging.ERROR, logger="accounts.providers.ldap"):
        _, response = log_in(slapd.BOB.uid, slapd.BOB.password)
    assert response.status_code == 400 and UNAVAILABLE in response.content
    assert "TLS certificate was not accepted: self-signed certificate in certificate chain" in (
        caplog.text
    )


# --- the directory failing -------------------------------------------------------------------


def test_ldap_directory_down_gives_a_message_and_local_accounts_still_log_in(
    ldap_on, directory, caplog
):
    local = make_user("lena")
    with directory.down(), caplog.at_level(logging.ERROR, logger="accounts.providers.ldap"):
        client, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)
        assert response.status_code == 400
        assert UNAVAILABLE in response.content
        assert b"Local accounts still can" in response.content
        assert logged_in_user(client) is None
        local_client, local_response = log_in("lena", PASSWORD)
        assert local_response.status_code == 302
        assert logged_in_user(local_client) == local
    assert "cannot be reached" in caplog.text and directory.uri in caplog.text
    record = LoginRecord.objects.get(success=False)
    assert record.provider == "ldap" and "cannot be reached" in record.reason
    assert log_in(slapd.ALICE.uid, slapd.ALICE.password)[1].status_code == 302  # back up


def test_ldap_service_account_refused_gives_a_message(ldap_on, caplog):
    ldap_on.AUTH_LDAP_BIND_PASSWORD = "not-the-service-password"
    with caplog.at_level(logging.ERROR, logger="accounts.providers.ldap"):
        _, response = log_in(slapd.ALICE.uid, slapd.ALICE.password)
    assert response.status_code == 400 and UNAVAILABLE in response.content
    assert "refused the service account AUTH_LDAP_BIND_DN" in caplog.text


def test_ldap_only_instance_records_failures_as_ldap(ldap_on):
    from tests.accounts.conftest import enable

    enable(ldap_on, "ldap")
    _, response = log_in("nobody", "wrong-password")
    assert response.status_code == 400
    assert LoginRecord.objects.get().provider == "ldap"
    page = Client().get(LOGIN)
    assert b'name="password"' in page.content and b"Sign in with" not in page.content


# --- throttling ------------------------------------------------------------------------------


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_ldap_other_spellings_of_a_name_count_against_its_account(ldap_on):
    """The directory matches `alice` typed in full-width letters to alice (NFKC in its
    comparison): those guesses share alice's counter and appear in her login history."""
    ldap_on.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    client, response = log_in(full_width("ALICE"), slapd.ALICE.password)
    assert response.status_code == 302
    alice = logged_in_user(client)
    assert alice.username == "alice"
    for _ in range(3):
        assert log_in(full_width("alice"), "not-alices-password")[1].status_code == 400
    _, locked = log_in("alice", slapd.ALICE.password)
    assert b"Too many failed attempts" in locked.content
    failures = LoginRecord.objects.filter(user=alice, success=False)
    assert failures.filter(reason="invalid credentials").count() == 3
    assert failures.filter(reason="throttled").count() == 1
