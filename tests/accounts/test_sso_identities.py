"""Accounts of people from LDAP, OIDC and proxies (accounts.identities) and the mirroring of
their groups (accounts.groupsync), without any server: the rules every provider shares."""

import pytest

from accounts.groupsync import mirror_groups
from accounts.identities import ExternalProfile, LoginRefused, login_external
from accounts.models import ExternalIdentity, User
from groups import rules
from groups.models import Group, Membership
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db
ISSUER = "https://id.example.org"


def profile(**fields) -> ExternalProfile:
    values = {
        "provider": "oidc", "issuer": ISSUER, "subject": "sub-1", "username": "Alice",
        "email": "alice@example.org", "display_name": "Alice Anderson", "groups": (),
    }  # fmt: skip
    return ExternalProfile(**{**values, **fields})


def mapped(name: str, *external: str, permissions=()) -> Group:
    group = make_group(name, *permissions)
    group.external_names = list(external)
    group.save()
    return group


def groups_of(user) -> dict[str, str]:
    return dict(Membership.objects.filter(user=user).values_list("group__name", "managed_by"))


# --- accounts --------------------------------------------------------------------------------


def test_first_login_creates_an_account_with_an_unusable_password():
    user = login_external(profile())
    assert (user.username, user.provider) == ("alice", "oidc")
    assert (user.email, user.display_name) == ("alice@example.org", "Alice Anderson")
    assert not user.has_usable_password() and not user.is_local
    identity = ExternalIdentity.objects.get()
    assert (identity.provider, identity.issuer, identity.subject, identity.user) == (
        "oidc", ISSUER, "sub-1", user,
    )  # fmt: skip
    assert identity.last_login is not None
    entry = AuditEntry.objects.get(action="user.created")
    assert (entry.target_repr, entry.actor_name, entry.details["provider"]) == (
        "alice", "system", "oidc",
    )  # fmt: skip


def test_later_logins_find_the_account_by_subject_not_by_name():
    user = login_external(profile())
    again = login_external(profile(username="alice.new", email="new@example.org"))
    assert again == user
    again.refresh_from_db()
    assert again.username == "alice" and again.email == "new@example.org"
    other = login_external(profile(subject="sub-2", username="bob"))
    assert other != user


@pytest.mark.parametrize(
    ("raw", "username"),
    [
        ("José.García@example.org", "jose.garcia"),
        ("Ünïcode Person", "unicode-person"),
        ("  Bob  ", "bob"),
        ("x", "x00"),
        ("-_.leading", "leading"),
        ("a" * 40, "a" * 32),
    ],
)
def test_usernames_from_providers_follow_the_username_rule(raw, username):
    assert login_external(profile(username=raw)).username == username


def test_a_local_account_with_the_same_name_is_never_taken_over(people):
    with pytest.raises(LoginRefused) as refused:
        login_external(profile(username="MIA"))
    assert "“mia”" in refused.value.message
    assert "An admin can rename or delete that account" in refused.value.message
    assert refused.value.reason == "username 'mia' taken by another account"
    people.member.refresh_from_db()
    assert people.member.provider == "credentials" and not ExternalIdentity.objects.exists()


def test_an_account_of_another_provider_is_never_taken_over():
    login_external(profile(provider="ldap", issuer="dc=example,dc=org", username="bob"))
    with pytest.raises(LoginRefused):
        login_external(profile(provider="oidc", username="bob", subject="other"))


def test_a_used_account_of_the_same_provider_is_not_linked_by_name():
    login_external(profile(subject="first-bob", username="bob"))
    with pytest.raises(LoginRefused, match="taken by another account"):
        login_external(profile(subject="second-bob", username="bob"))


@pytest.mark.parametrize("provider", ["ldap", "proxy"])
def test_an_account_an_admin_prepared_for_the_directory_or_proxy_is_linked_by_name(provider):
    prepared = User.objects.create_user("carol", None, provider=provider)
    assert login_external(profile(provider=provider, username="Carol", subject="c")) == prepared
    assert ExternalIdentity.objects.get().user == prepared
    assert AuditEntry.objects.get(action="user.linked").target_repr == "carol"


def test_an_oidc_placeholder_is_linked_by_the_verified_email():
    prepared = User.objects.create_user("carol", None, provider="oidc", email="Carol@Example.org")
    claimed = profile(username="c.clark", subject="carol-sub", email="carol@example.org",
                      email_verified=True)  # fmt: skip
    assert login_external(claimed) == prepared
    assert ExternalIdentity.objects.get().user == prepared
    assert AuditEntry.objects.get(action="user.linked").target_repr == "carol"


def test_an_oidc_placeholder_is_never_claimed_by_preferred_username_alone():
    prepared = User.objects.create_user("carol", None, provider="oidc", email="carol@example.org")
    impostor = profile(username="carol", subject="someone-else", email="mallory@example.org",
                       email_verified=True)  # fmt: skip
    with pytest.raises(LoginRefused, match="taken by another account"):
        login_external(impostor)
    assert not ExternalIdentity.objects.exists()
    prepared.refresh_from_db()
    assert prepared.last_login is None


def test_an_oidc_placeholder_is_not_claimed_by_an_unverified_email():
    User.objects.create_user("carol", None, provider="oidc", email="carol@example.org")
    unverified = profile(username="carol", subject="someone-else", email="carol@example.org",
                         email_verified=False)  # fmt: skip
    with pytest.raises(LoginRefused, match="taken by another account"):
        login_external(unverified)
    assert not ExternalIdentity.objects.exists()


# --- names in other scripts ------------------------------------------------------------------


def test_names_in_other_scripts_are_transliterated_and_kept_as_display_names(settings):
    settings.AUTH_PROXY_CREATE_USERS = True
    ivan = login_external(profile(provider="proxy", issuer="remote-user", subject="иван",
                                  username="Иван", display_name="", email=""))  # fmt: skip
    maria = login_external(profile(provider="proxy", issuer="remote-user", subject="мария",
                                   username="Мария", display_name="", email=""))  # fmt: skip
    assert (ivan.username, ivan.display_name) == ("ivan", "Иван")
    assert (maria.username, maria.display_name) == ("mariya", "Мария")
    wang = login_external(profile(subject="wang", username="王伟", display_name="Wang Wei"))
    assert (wang.username, wang.display_name) == ("wangwei", "Wang Wei")


def test_a_transliterated_name_that_is_taken_gets_a_stable_name_of_its_own(people):
    make_user("ivan")
    first = login_external(profile(subject="sub-ivan", username="Иван", display_name=""))
    assert first.username.startswith("oidc-") and len(first.username) == 15
    assert first.display_name == "Иван"
    # Stable: the same person always derives the same name; another person another one.
    User.objects.filter(pk=first.pk).delete()
    assert login_external(profile(subject="sub-ivan", username="Иван")).username == first.username
    other = login_external(profile(subject="sub-ivan-2", username="Иван"))
    assert other.username.startswith("oidc-") and other.username != first.username


@pytest.mark.parametrize("raw", ["🙂🙂", "---", "…", "ـ"])
def test_a_name_with_nothing_usable_gets_a_name_of_its_own_never_a_shared_one(raw):
    first = login_external(profile(subject="one", username=raw, display_name=""))
    second = login_external(profile(subject="two", username=raw, display_name=""))
    assert first.username != second.username
    assert "user" not in (first.username, second.username)


def test_reserved_names_are_refused():
    with pytest.raises(LoginRefused) as refused:
        login_external(profile(username="Admin"))
    assert "reserved name" in refused.value.message
    assert not User.objects.exists()


def test_creation_can_be_turned_off_per_provider(settings):
    settings.AUTH_OIDC_CREATE_USERS = False
    settings.AUTH_PROXY_CREATE_USERS = True
    with pytest.raises(LoginRefused, match="creation is off"):
        login_external(profile())
    assert login_external(profile(provider="proxy", issuer="remote-user")).provider == "proxy"


def test_disabled_accounts_are_refused():
    user = login_external(profile())
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(LoginRefused, match="account disabled"):
        login_external(profile())


def test_an_account_moved_to_another_provider_no_longer_logs_in_this_way():
    user = login_external(profile())
    User.objects.filter(pk=user.pk).update(provider="ldap")
    with pytest.raises(LoginRefused, match="account now uses ldap"):
        login_external(profile())


def test_a_missing_subject_is_refused():
    with pytest.raises(LoginRefused, match="no subject"):
        login_external(profile(subject=""))


def test_an_invalid_email_from_the_provider_is_ignored():
    assert login_external(profile(email="not an address")).email == ""


# --- groups ----------------------------------------------------------------------------------


def test_groups_are_matched_case_insensitively_and_marked_as_managed():
    family = mapped("family-group", "Family")
    admins = mapped("home-admins", "HomePortal-Admins", "ops", permissions=["admin"])
    mapped("unrelated", "other")
    user = login_external(profile(groups=("family", "homeportal-admins")))
    assert groups_of(user) == {family.name: "oidc", admins.name: "oidc"}
    entry = AuditEntry.objects.filter(action="group.member_added").first()
    assert entry.details["managed_by"] == "oidc" and entry.actor is None


def test_no_group_is_ever_created_by_a_login():
    count = Group.objects.count()
    login_external(profile(groups=("brand-new-group", "everyone")))
    assert Group.objects.count() == count
    assert not Membership.objects.exists()


def test_memberships_are_mirrored_at_every_login_and_hand_made_ones_stay(owner):
    family = mapped("family-group", "family")
    media = mapped("media-group", "media")
    chosen = make_group("chosen-by-hand")
    user = login_external(profile(groups=("family", "media")))
    rules.add_member(chosen, user, actor=rules.system("tests"))
    rules.add_member(
        family, user, actor=rules.system("tests")
    )  # exists already: stays managed by the provider
    login_external(profile(groups=("media",)))
    assert groups_of(user) == {media.name: "oidc", chosen.name: ""}
    login_external(profile(groups=()))
    assert groups_of(user) == {chosen.name: ""}


def test_a_membership_made_by_hand_is_not_taken_over_by_the_provider(owner):
    family = mapped("family-group", "family")
    user = login_external(profile())
    rules.add_member(family, user, actor=rules.system("tests"))
    login_external(profile(groups=("family",)))
    login_external(profile(groups=()))
    assert groups_of(user) == {family.name: ""}


def test_groups_none_leaves_memberships_alone():
    family = mapped("family-group", "family")
    user = login_external(profile(groups=("family",)))
    login_external(profile(groups=None))
    assert groups_of(user) == {family.name: "oidc"}


def test_memberships_a_provider_manages_cannot_be_changed_by_hand(people):
    family = mapped("family-group", "family")
    user = login_external(profile(groups=("family",)))
    with pytest.raises(rules.RuleError) as refused:
        rules.remove_member(family, user, actor=people.admin)
    assert refused.value.messages == [
        "This membership comes from single sign-on (OIDC) and is changed there."
    ]
    assert groups_of(user) == {family.name: "oidc"}


def test_local_management_lets_admins_edit_and_logins_leave_memberships_alone(settings, people):
    family = mapped("family-group", "family")
    user = login_external(profile(groups=("family",)))
    settings.AUTH_GROUPS_LOCAL_MANAGEMENT = ("oidc",)
    rules.remove_member(family, user, actor=people.admin)
    login_external(profile(groups=("family",)))
    assert groups_of(user) == {}
    rules.add_member(family, user, actor=people.admin)
    login_external(profile(groups=()))
    assert groups_of(user) == {family.name: ""}


def test_a_safety_rule_keeps_the_last_admins_membership(caplog):
    """No owner here (it cannot happen after onboarding): the rules refuse to remove the only
    admin, and the login goes on with the membership kept and the reason logged."""
    admins = mapped("home-admins", "admins", permissions=["admin"])
    user = login_external(profile(groups=("admins",)))
    result = mirror_groups(user, "oidc", ())
    assert result.kept == ["home-admins"] and result.removed == []
    assert groups_of(user) == {admins.name: "oidc"}
    assert "This would leave no active admin" in caplog.text


def test_a_user_of_several_groups_with_one_external_name_each(people):
    groups = [mapped(f"team-{i}", f"Team {i}") for i in range(5)]
    user = make_user("zed", provider="oidc")
    mirror_groups(user, "oidc", [f"TEAM {i}" for i in range(5)])
    assert set(groups_of(user)) == {g.name for g in groups}


def test_provider_text_that_no_database_stores_is_dropped_not_a_500(settings):
    """A NUL or a lone surrogate in a claim or a directory attribute: PostgreSQL refuses the
    first, UTF-8 cannot encode the second. Nobody can retype a claim, so they are dropped."""
    claims = {"username": "nu\x00la", "display_name": "Nu\x00la \ud800X",
              "email": "nula@example.org\x00", "groups": ("fam\x00ily",)}  # fmt: skip
    user = login_external(profile(subject="nul-sub", **claims))
    user.refresh_from_db()
    assert user.username == "nula" and user.display_name == "Nula X"
    assert "\x00" not in user.email
    identity = user.external_identities.get()
    assert "\x00" not in identity.subject
