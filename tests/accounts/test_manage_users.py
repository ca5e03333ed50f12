"""Settings → Users: list, create, edit, disable/enable, delete, reset links, forced changes."""

import pytest
from django.urls import reverse

from accounts.models import User
from boards.models import Board, BoardAccess
from groups.models import Membership
from integrations.models import Integration
from invites.models import PasswordResetLink
from invites.tokens import hash_token
from sessions_admin.models import AuditEntry, UserSession
from tests.accounts.links import shown_link
from tests.conftest import PASSWORD, make_group, make_user

NEW_PASSWORD = "a-long-and-uncommon-passphrase-7"
pytestmark = pytest.mark.django_db


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


# --- List ------------------------------------------------------------------------------------


def test_list_shows_users_with_groups_provider_and_state(people, login):
    make_user("leo", people.family, provider="ldap", is_active=False)
    response = login(people.admin).get("/settings/users/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("olivia", "adam", "uma", "mia", "otto", "leo"):
        assert f">{name}</a>" in page
    assert "LDAP" in page and "disabled" in page and ">family</span>" in page


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("q=mia", {"mia"}, {"adam", "otto"}),
        ("q=Outsider", {"otto"}, {"mia"}),  # display names are searched too
        ("provider=ldap", {"leo"}, {"mia"}),
        ("state=disabled", {"leo"}, {"mia"}),
        ("state=active", {"mia", "adam"}, {"leo"}),
        ("group=none", {"otto"}, {"mia", "leo"}),
    ],
)
def test_list_search_and_filters(people, login, query, expected, absent):
    make_user("leo", people.family, provider="ldap", is_active=False)
    page = login(people.owner).get(f"/settings/users/?{query}").content.decode()
    assert all(f">{name}</a>" in page for name in expected)
    assert not any(f">{name}</a>" in page for name in absent)


def test_list_filter_by_group(people, login):
    page = login(people.owner).get(f"/settings/users/?group={people.admins.pk}").content.decode()
    assert ">olivia</a>" in page and ">adam</a>" in page and ">mia</a>" not in page


def test_list_paginates_by_fifty(people, login):
    User.objects.bulk_create([User(username=f"user{i:03d}") for i in range(120)])
    client = login(people.owner)
    first = client.get("/settings/users/").content.decode()
    assert "Page 1 of 3" in first and ">user000</a>" in first and ">user049</a>" not in first
    last = client.get("/settings/users/?page=3").content.decode()
    assert ">user119</a>" in last and ">uma</a>" not in last


def test_list_htmx_gets_the_list_partial_alone(people, login):
    response = login(people.owner).get("/settings/users/?q=mia", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'id="user-list"' in page and "<html" not in page and ">mia</a>" in page


# --- Create ----------------------------------------------------------------------------------


def test_create_user_with_password_and_groups(people, login):
    response = login(people.admin).post(
        "/settings/users/new/",
        {
            "username": "Nina",
            "display_name": "Nina N",
            "email": "nina@example.org",
            "password_mode": "set",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "must_change": "on",
            "groups": [people.family.pk],
        },
    )
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.check_password(NEW_PASSWORD) and nina.must_change_password
    assert list(nina.user_groups.all()) == [people.family]
    entry = last_audit("user.created")
    assert entry.actor == people.admin and entry.details["groups"] == ["family"]
    assert last_audit("group.member_added").details["user"] == "nina"


def test_created_user_must_change_password_at_first_login(people, login):
    login(people.admin).post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "set", "password1": NEW_PASSWORD,
         "password2": NEW_PASSWORD, "must_change": "on"},
    )  # fmt: skip
    nina = User.objects.get(username="nina")
    response = login(nina).get("/")
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:password_change"
    )


def test_create_user_with_a_one_time_link_instead_of_a_password(people, login):
    admin = login(people.admin)
    response = admin.post("/settings/users/new/", {"username": "nina", "password_mode": "link"})
    assert response["Location"] == "/settings/users/nina/"  # redirected after the POST
    url = shown_link(admin, response)
    nina = User.objects.get(username="nina")
    assert not nina.has_usable_password()
    token = url.rsplit("/", 2)[-2]
    link = PasswordResetLink.objects.get(user=nina)
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert url.startswith("http://testserver/reset-password/")


def test_create_with_a_link_ignores_the_password_fields_it_disables(people, login):
    """The dialog disables the password fields in link mode; a browser without JavaScript
    still sends them, and the server leaves them aside."""
    response = login(people.admin).post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "link", "password1": "x", "password2": "y"},
    )
    assert response.status_code == 302
    assert not User.objects.get(username="nina").has_usable_password()


def test_create_form_marks_the_fields_only_a_set_password_uses(people, login):
    page = login(people.admin).get("/settings/users/new/").content.decode()
    fields = page.split('data-only-for="set"', 1)[1].split("</fieldset>", 1)[0]
    assert 'name="password1"' in fields and 'name="password2"' in fields
    assert 'name="must_change"' in fields and 'name="username"' not in fields


def test_create_with_a_link_in_the_dialog_goes_to_the_new_users_page(people, login):
    admin = login(people.admin)
    response = admin.post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "link"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Redirect"] == "/settings/users/nina/"
    page = admin.get("/settings/users/nina/")
    assert "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "Link to choose a password, for nina" in text and "Password-reset link" not in text
    assert page.context["shown_link"]["url"] in text
    again = admin.get("/settings/users/nina/").content.decode()  # shown once
    assert "/reset-password/" not in again and "Link to choose a password" in again


def test_a_link_is_shown_only_on_the_page_of_its_user(people, login):
    admin = login(people.admin)
    admin.post("/settings/users/new/", {"username": "nina", "password_mode": "link"})
    assert admin.get("/settings/users/mia/").context["shown_link"] is None
    assert admin.get("/settings/users/nina/").context["shown_link"] is not None


def test_a_new_user_is_logged_in_after_choosing_their_first_password(people, login, client):
    admin = login(people.admin)
    response = admin.post("/settings/users/new/", {"username": "nina", "password_mode": "link"})
    path = shown_link(admin, response).removeprefix("http://testserver")
    page = client.get(path).content.decode()
    assert "you are logged in" in page
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    nina = User.objects.get(username="nina")
    assert nina.check_password(NEW_PASSWORD)
    assert client.get("/preferences/").status_code == 200  # in, with a recorded session
    assert UserSession.objects.filter(user=nina).count() == 1


def test_create_refuses_a_taken_username_whatever_its_case(people, login):
    response = login(people.admin).post(
        "/settings/users/new/", {"username": "MIA", "password_mode": "link"}
    )
    assert response.status_code == 400 and "taken" in response.content.decode()


def test_create_requires_a_valid_password_in_password_mode(people, login):
    response = login(people.admin).post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "set", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="nina").exists()


def test_create_in_a_modal_answers_a_partial(people, login):
    response = login(people.admin).get("/settings/users/new/", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and 'hx-post="/settings/users/new/"' in page


# --- Edit ------------------------------------------------------------------------------------


def test_edit_profile_and_groups(people, login):
    response = login(people.admin).post(
        "/settings/users/mia/",
        {"username": "mia2", "display_name": "Mia M", "email": "m@example.org",
         "groups": [people.managers.pk]},
    )  # fmt: skip
    assert response.status_code == 302
    mia = User.objects.get(pk=people.member.pk)
    assert (mia.username, mia.display_name, mia.email) == ("mia2", "Mia M", "m@example.org")
    assert list(mia.user_groups.all()) == [people.managers]
    assert last_audit("user.updated").details["changed"]["username"] == ["mia", "mia2"]
    assert last_audit("group.member_removed").details["user"] == "mia2"


def test_edit_refuses_a_taken_username(people, login):
    response = login(people.admin).post("/settings/users/mia/", {"username": "otto"})
    assert response.status_code == 400
    assert User.objects.get(pk=people.member.pk).username == "mia"


def test_username_of_a_provider_account_is_not_editable(people, login):
    leo = make_user("leo", provider="ldap")
    response = login(people.admin).post(
        "/settings/users/leo/", {"username": "other", "display_name": "Leo"}
    )
    assert response.status_code == 302
    leo.refresh_from_db()
    assert leo.username == "leo" and leo.display_name == "Leo"


def test_detail_shows_the_users_access(people, login):
    board = Board.objects.create(name="media", title="Media")
    BoardAccess.objects.create(board=board, group=people.family, level="modify")
    page = login(people.admin).get("/settings/users/mia/").content.decode()
    assert "Media" in page and ">modify</span>" in page


# --- Disable, enable -------------------------------------------------------------------------


def test_disabling_ends_every_session_at_once(people, login):
    mia_client = login(people.member)
    assert mia_client.get("/").status_code == 200
    assert UserSession.objects.filter(user=people.member).exists()
    response = login(people.admin).post("/settings/users/mia/active/", {"active": "0"})
    assert response.status_code == 302
    assert not UserSession.objects.filter(user=people.member).exists()
    assert mia_client.get("/").status_code == 302  # logged out
    assert not User.objects.get(pk=people.member.pk).is_active
    assert last_audit("user.disabled").target_repr == "mia"


def test_enabling_again(people, login):
    people.member.is_active = False
    people.member.save()
    login(people.admin).post("/settings/users/mia/active/", {"active": "1"})
    assert User.objects.get(pk=people.member.pk).is_active
    assert last_audit("user.enabled").actor == people.admin


def test_toggle_with_htmx_answers_the_row(people, login):
    response = login(people.admin).post(
        "/settings/users/mia/active/", {"active": "0"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith(
        f'<tr id="user-{people.member.pk}"'
    )
    assert ">Enable</button>" in page


def test_toggle_never_redirects_off_site(people, login):
    response = login(people.admin).post(
        "/settings/users/mia/active/", {"active": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/settings/users/mia/"


# --- Delete ----------------------------------------------------------------------------------


def owned_things(user):
    board = Board.objects.create(name="mias", title="Mia's board", owner=user)
    integration = Integration.objects.create(
        name="Mia's NAS", kind="nas", url="http://nas", owner=user
    )
    return board, integration


def test_delete_page_says_what_they_own(people, login):
    owned_things(people.member)
    page = login(people.admin).get("/settings/users/mia/delete/").content.decode()
    assert "Mia&#x27;s board" in page and "Mia&#x27;s NAS" in page


def test_delete_keeping_owned_things_without_an_owner(people, login):
    board, integration = owned_things(people.member)
    response = login(people.admin).post(
        "/settings/users/mia/delete/", {"owned": "keep", "confirm": "on"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(username="mia").exists()
    board.refresh_from_db()
    integration.refresh_from_db()
    assert board.owner is None and integration.owner is None
    entry = last_audit("user.deleted")
    assert entry.details["owned"] == "keep" and entry.details["boards"] == ["mias"]


def test_delete_giving_owned_things_to_another_user(people, login):
    board, integration = owned_things(people.member)
    login(people.admin).post(
        "/settings/users/mia/delete/", {"owned": "transfer", "heir": "otto", "confirm": "on"}
    )
    board.refresh_from_db()
    integration.refresh_from_db()
    assert board.owner == people.outsider and integration.owner == people.outsider
    assert last_audit("user.deleted").details["heir"] == "otto"


def test_delete_with_owned_things(people, login):
    board, integration = owned_things(people.member)
    login(people.admin).post("/settings/users/mia/delete/", {"owned": "delete", "confirm": "on"})
    assert not Board.objects.filter(pk=board.pk).exists()
    assert not Integration.objects.filter(pk=integration.pk).exists()


def test_transfer_needs_an_heir(people, login):
    response = login(people.admin).post(
        "/settings/users/mia/delete/", {"owned": "transfer", "confirm": "on"}
    )
    assert response.status_code == 400 and User.objects.filter(username="mia").exists()


def test_user_managers_may_only_keep_owned_things_ownerless(people, login):
    board, _integration = owned_things(people.member)
    response = login(people.user_manager).post(
        "/settings/users/mia/delete/", {"owned": "delete", "confirm": "on"}
    )
    assert response.status_code == 400 and Board.objects.filter(pk=board.pk).exists()


# --- Password-reset links and forced changes ---------------------------------------------------


def test_reset_link_is_shown_once_and_stored_hashed(people, login):
    admin = login(people.admin)
    response = admin.post("/settings/users/mia/reset-link/", {"lifetime": "1h"})
    token = shown_link(admin, response).rsplit("/", 2)[-2]
    link = PasswordResetLink.objects.get(user=people.member)
    assert link.token_hash == hash_token(token)
    assert 3590 < (link.expires_at - link.created).total_seconds() <= 3600
    assert token not in str(AuditEntry.objects.values_list("details", flat=True))
    assert token not in login(people.admin).get("/settings/users/mia/").content.decode()


def test_reset_link_sets_the_password_once_and_ends_sessions(people, login, client):
    mia_client = login(people.member)
    mia_client.get("/")
    admin = login(people.admin)
    response = admin.post("/settings/users/mia/reset-link/", {"lifetime": "1d"})
    path = shown_link(admin, response).removeprefix("http://testserver")
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    mia = User.objects.get(pk=people.member.pk)
    assert mia.check_password(NEW_PASSWORD)
    assert not UserSession.objects.filter(user=mia).exists()
    assert last_audit("user.password_reset_by_link").actor == mia
    again = client.post(
        path, {"new_password1": NEW_PASSWORD + "x", "new_password2": NEW_PASSWORD + "x"}
    )
    assert again.status_code == 404
    assert User.objects.get(pk=mia.pk).check_password(NEW_PASSWORD)


def test_a_new_reset_link_replaces_the_previous_one(people, login, client):
    admin = login(people.admin)
    first = shown_link(admin, admin.post("/settings/users/mia/reset-link/", {"lifetime": "1d"}))
    admin.post("/settings/users/mia/reset-link/", {"lifetime": "1d"})
    assert client.get(first.removeprefix("http://testserver")).status_code == 404


def test_expired_reset_link_does_not_work(people, login, client):
    admin = login(people.admin)
    response = admin.post("/settings/users/mia/reset-link/", {"lifetime": "1h"})
    path = shown_link(admin, response).removeprefix("http://testserver")
    PasswordResetLink.objects.update(expires_at="2000-01-01T00:00Z")
    assert client.get(path).status_code == 404


def test_reset_link_refused_for_provider_accounts(people, login):
    make_user("leo", provider="oidc")
    response = login(people.admin).post("/settings/users/leo/reset-link/", {"lifetime": "1d"})
    assert response.status_code == 403
    assert "managed by Single sign-on" in response.content.decode()
    assert not PasswordResetLink.objects.exists()


def test_force_password_change(people, login):
    response = login(people.admin).post("/settings/users/mia/force-password-change/")
    assert response.status_code == 302
    assert User.objects.get(pk=people.member.pk).must_change_password
    assert login(people.member).get("/")["Location"] == reverse("accounts:password_change")
    assert last_audit("user.password_change_forced").target_repr == "mia"


def test_user_manager_manages_non_admins(people, login):
    client = login(people.user_manager)
    assert client.post("/settings/users/mia/force-password-change/").status_code == 302
    assert client.post("/settings/users/mia/active/", {"active": "0"}).status_code == 302
    response = client.post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "link", "groups": [people.family.pk]},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="nina", group=people.family).exists()


def test_user_manager_is_not_offered_admin_groups(people, login):
    page = login(people.user_manager).get("/settings/users/new/").content.decode()
    assert f'value="{people.family.pk}"' in page and f'value="{people.admins.pk}"' not in page


def test_pages_of_unknown_users_are_404(people, login):
    assert login(people.admin).get("/settings/users/nobody/").status_code == 404


def test_password_is_never_logged_in_audit(people, login):
    login(people.admin).post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "set", "password1": NEW_PASSWORD,
         "password2": NEW_PASSWORD},
    )  # fmt: skip
    assert NEW_PASSWORD not in str(list(AuditEntry.objects.values_list("details", flat=True)))
    assert PASSWORD  # the personas' password is unrelated


def test_group_without_admin_rights_is_offered_to_user_managers(people, login):
    make_group("kids")
    page = login(people.user_manager).get("/settings/users/mia/").content.decode()
    assert ">kids</label>" in page or "kids" in page
