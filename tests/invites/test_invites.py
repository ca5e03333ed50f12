"""Settings → Invites and registration through an invite link."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from groups.models import Membership
from invites.models import Invite, InviteRedemption, InviteState, Unusable
from invites.tokens import hash_token
from sessions_admin.models import AuditEntry, UserSession
from tests.conftest import make_group

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-and-uncommon-passphrase-7"
HTMX = {"HX-Request": "true"}


def registration(username: str = "nina", **extra) -> dict:
    return {"username": username, "display_name": "Nina", "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD, **extra}  # fmt: skip


def create(client, **data) -> tuple[str, str]:
    response = client.post("/settings/invites/new/", {"expiry": "7d", "max_uses": "1", **data})
    assert response.status_code == 200, response.content.decode()[:500]
    url = response.context["url"]
    return url.removeprefix("http://testserver"), url.rsplit("/", 2)[-2]


def test_create_shows_the_link_once_and_stores_its_hash(people, login):
    client = login(people.user_manager)
    path, token = create(client, note="For Nina", default_groups=[people.family.pk])
    invite = Invite.objects.get()
    assert invite.token_hash == hash_token(token) and invite.creator == people.user_manager
    assert list(invite.default_groups.all()) == [people.family] and invite.max_uses == 1
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)
    assert path == f"/invite/{token}/"
    assert token not in client.get("/settings/invites/").content.decode()
    entry = AuditEntry.objects.get(action="invite.created")
    assert entry.details["groups"] == ["family"] and token not in str(entry.details)


def test_create_in_a_modal_answers_the_link_and_refreshes_the_list(people, login):
    response = login(people.admin).post(
        "/settings/invites/new/", {"expiry": "1d", "max_uses": ""}, headers=HTMX
    )
    page = response.content.decode()
    assert "invitesChanged" in response["HX-Trigger"]
    assert 'id="invite-url"' in page and "data-copy" in page and "<html" not in page
    assert Invite.objects.get().max_uses is None  # empty: no limit


def test_never_expiring_invite(people, login):
    create(login(people.admin), expiry="never")
    assert Invite.objects.get().expires_at is None


def test_list_shows_creator_uses_expiry_and_state(people, login):
    client = login(people.admin)
    create(client, note="active one")
    Invite.create(creator=people.owner, note="revoked one")[0].revoke(actor=people.owner)
    Invite.create(creator=people.owner, note="old one", expires_at=timezone.now())
    used, _token = Invite.create(creator=people.owner, note="used one")
    Invite.objects.filter(pk=used.pk).update(uses=1)
    page = client.get("/settings/invites/").content.decode()
    for note, state in [("active one", "Active"), ("revoked one", "Revoked"),
                        ("old one", "Expired"), ("used one", "Used up")]:  # fmt: skip
        assert note in page and f">{state}</span>" in page
    assert ">adam</td>" in page and ">0 / 1</td>" in page


def test_list_shows_an_invite_its_creator_can_no_longer_make_as_not_usable(people, login, client):
    """The list says what the link would answer: the creator's rights as they are now."""
    kids = make_group("kids")
    keeper = User.objects.create_user("keeper", "x" * 12)
    Membership.objects.create(user=keeper, group=people.managers)
    demoted = User.objects.create_user("demoted", "x" * 12)
    Membership.objects.create(user=demoted, group=people.managers)
    disabled = User.objects.create_user("disabled", "x" * 12)
    Membership.objects.create(user=disabled, group=people.admins)
    deleted = User.objects.create_user("deleted", "x" * 12)
    Membership.objects.create(user=deleted, group=people.admins)
    tokens = {
        "still fine": Invite.create(creator=keeper, note="still fine", groups=[people.family])[1],
        "made admin": Invite.create(creator=keeper, note="made admin", groups=[kids])[1],
        "demoted": Invite.create(creator=demoted, note="demoted")[1],
        "disabled": Invite.create(creator=disabled, note="disabled")[1],
        "deleted": Invite.create(creator=deleted, note="deleted")[1],
    }
    kids.permissions = ["admin"]
    kids.save()
    Membership.objects.filter(user=demoted).delete()
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    deleted.delete()

    page = login(people.admin).get("/settings/invites/").content.decode()
    rows = {note: page.split(f"<td>{note}<", 1)[1].split("</tr>", 1)[0] for note in tokens}
    assert ">Active</span>" in rows["still fine"] and "Not usable" not in rows["still fine"]
    for note in ("made admin", "demoted", "disabled", "deleted"):
        assert ">Not usable</span>" in rows[note] and ">Active</span>" not in rows[note], note
        # As the link answers: the same rule, at use time.
        assert client.get(f"/invite/{tokens[note]}/").status_code == 404, note
    assert client.get(f"/invite/{tokens['still fine']}/").status_code == 200
    assert "Only admins can change a group that grants admin." in rows["made admin"]
    assert "keeper could no longer make it:" in rows["made admin"]
    assert "not allowed to manage users" in rows["demoted"]
    for note in ("disabled", "deleted"):
        assert "Whoever made this link can no longer vouch for it." in rows[note]
    assert ">deleted user</td>" in rows["deleted"]
    assert 'action="/settings/invites/' in rows["demoted"]  # still revocable


def test_register_creates_the_account_in_the_default_groups_and_logs_in(people, client, login):
    path, _token = create(login(people.admin), default_groups=[people.family.pk])
    page = client.get(path).content.decode()
    assert "Create your account" in page
    response = client.post(path, registration("Nina"))
    assert response.status_code == 302 and response["Location"] == "/"
    nina = User.objects.get(username="nina")
    assert nina.check_password(NEW_PASSWORD) and nina.display_name == "Nina"
    assert list(nina.user_groups.all()) == [people.family]
    assert UserSession.objects.filter(user=nina).exists()
    assert client.get("/").status_code == 200
    invite = Invite.objects.get()
    assert invite.uses == 1 and invite.state == InviteState.USED_UP
    assert InviteRedemption.objects.get().username == "nina"
    assert AuditEntry.objects.get(action="invite.redeemed").actor == nina


def test_multi_use_invite(people, login, client):
    path, _ = create(login(people.admin), max_uses="2")
    for name in ("first", "second"):
        response = client.post(path, registration(name))
        assert response.status_code == 302
        client.post("/accounts/logout/")
    assert client.get(path).status_code == 404
    assert Invite.objects.get().uses == 2


@pytest.mark.parametrize("how", ["expired", "revoked", "used up", "unknown"])
def test_unusable_links_all_answer_the_same_page(people, login, client, how):
    path, token = create(login(people.admin))
    invite = Invite.objects.get()
    if how == "expired":
        Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        invite.revoke(actor=people.admin)
    elif how == "used up":
        Invite.objects.update(uses=1)
    else:
        path = f"/invite/{token[:-2]}xx/"
    for response in (client.get(path), client.post(path, registration())):
        assert response.status_code == 404
        page = response.content.decode()
        assert "This link cannot be used" in page
        assert "It may have expired, been revoked or used up" in page
    assert not User.objects.filter(username="nina").exists()


def test_a_taken_username_gives_the_use_back(people, login, client):
    path, _ = create(login(people.admin))
    response = client.post(path, registration("MIA"))
    assert response.status_code == 400 and "taken" in response.content.decode()
    assert Invite.objects.get().uses == 0
    assert client.post(path, registration("nina")).status_code == 302


def test_password_policy_applies(people, login, client):
    path, _ = create(login(people.admin))
    data = registration(password1="nina12345", password2="nina12345")
    response = client.post(path, data)
    assert response.status_code == 400 and not User.objects.filter(username="nina").exists()


def test_logged_in_visitors_are_asked_to_log_out(people, login):
    path, _ = create(login(people.admin))
    member = login(people.member)
    assert "Log out first" in member.get(path).content.decode()
    assert member.post(path, registration()).status_code == 403
    assert Invite.objects.get().uses == 0


def test_revoke(people, login, client):
    admin = login(people.admin)
    path, _ = create(admin)
    invite = Invite.objects.get()
    response = admin.post(f"/settings/invites/{invite.pk}/revoke/", headers=HTMX)
    assert response.status_code == 200 and ">Revoked</span>" in response.content.decode()
    assert client.get(path).status_code == 404
    entry = AuditEntry.objects.get(action="invite.revoked")
    assert entry.actor == people.admin


def test_an_invite_by_a_user_manager_never_leads_into_a_group_made_admin_since(
    people, login, client
):
    kids = make_group("kids")
    path, _ = create(login(people.user_manager), default_groups=[kids.pk])
    kids.permissions = ["admin"]
    kids.save()
    response = client.post(path, registration())
    assert response.status_code == 404
    assert not User.objects.filter(username="nina").exists()
    assert Invite.objects.get().uses == 0


def test_an_invite_dies_with_its_creator(people, login, client):
    creator = User.objects.create_user("temp", "x" * 12)
    Membership.objects.create(user=creator, group=people.admins)
    _invite, token = Invite.create(creator=creator, groups=[people.family])
    creator.delete()
    assert client.get(f"/invite/{token}/").status_code == 404
    assert client.post(f"/invite/{token}/", registration()).status_code == 404
    assert not User.objects.filter(username="nina").exists()


def test_registration_is_closed_without_password_accounts(people, login, client, settings):
    path, _ = create(login(people.admin))
    settings.AUTH_PROVIDERS = ["oidc"]
    response = client.get(path)
    assert (
        response.status_code == 404
        and "Password accounts are turned off" in response.content.decode()
    )


def test_redeem_raises_when_used_up(people):
    invite, _token = Invite.create(creator=people.admin)
    invite.redeem(username="one", password=NEW_PASSWORD)
    with pytest.raises(Unusable):
        invite.redeem(username="two", password=NEW_PASSWORD)
    assert User.objects.filter(username="two").count() == 0


def test_an_invite_into_an_admin_group_warns_and_needs_a_confirmation(people, login):
    client = login(people.owner)
    form_page = client.get("/settings/invites/new/").content.decode()
    assert "admins — makes admins" in form_page and "family — makes admins" not in form_page
    data = {"expiry": "7d", "max_uses": "1", "default_groups": [people.admins.pk]}
    refused = client.post("/settings/invites/new/", data)
    assert refused.status_code == 400
    assert "Anyone with this link becomes an admin (through admins)" in refused.content.decode()
    assert not Invite.objects.exists()
    create(client, default_groups=[people.admins.pk], confirm_admin="on")
    assert list(Invite.objects.get().default_groups.all()) == [people.admins]


def test_an_invite_into_a_group_that_implies_nothing_of_admin_needs_no_confirmation(people, login):
    create(login(people.owner), default_groups=[people.family.pk, people.managers.pk])
    assert Invite.objects.count() == 1
