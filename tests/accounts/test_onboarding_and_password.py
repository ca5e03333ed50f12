"""Onboarding creates the owner once; the forced password change is enforced on every page."""

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.onboarding import ONBOARDED_KEY
from groups.models import Group
from groups.resolver import grants_for
from sessions_admin.models import AuditEntry, UserSession
from tests.conftest import PASSWORD, cache_operations

GOOD = {"username": "Olivia", "password1": PASSWORD, "password2": PASSWORD}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/boards/", "/nowhere/"])
def test_every_page_leads_to_onboarding_on_an_empty_instance(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == "/onboarding/"


@pytest.mark.django_db
def test_healthz_answers_before_onboarding():
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_onboarding_creates_the_owner_in_an_admin_group_and_logs_them_in():
    client = Client()
    assert client.get("/onboarding/").status_code == 200
    response = client.post("/onboarding/", GOOD)
    assert response.status_code == 302 and response["Location"] == "/"
    owner = User.objects.get()
    assert owner.username == "olivia" and owner.is_owner
    assert grants_for(owner).is_admin
    assert Group.objects.get(name="admins").permissions == ["admin"]
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="instance.onboarded").count() == 1


@pytest.mark.django_db
def test_once_onboarded_a_process_asks_the_cache_no_more():
    """Every request asks whether the instance is onboarded; with Redis a lookup of the flag
    is a round trip. An onboarded instance stays so (its owner cannot be deleted)."""
    Client().post("/onboarding/", GOOD)
    with cache_operations() as asked:
        assert Client().get("/accounts/login/").status_code == 200
        assert Client().get("/healthz").status_code == 200
    assert ONBOARDED_KEY not in [key for _, key in asked]


@pytest.mark.django_db
def test_onboarding_is_gone_once_done():
    Client().post("/onboarding/", GOOD)
    second = {**GOOD, "username": "mallory"}
    assert Client().get("/onboarding/").status_code == 404
    assert Client().post("/onboarding/", second).status_code == 404
    assert list(User.objects.values_list("username", flat=True)) == ["olivia"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({**GOOD, "password2": "something-else-entirely-7"}, b"match"),
        ({**GOOD, "password1": "short", "password2": "short"}, b"too short"),
        ({**GOOD, "password1": "password123", "password2": "password123"}, b"too common"),
        ({**GOOD, "password1": "Olivia1234", "password2": "Olivia1234"}, b"too similar"),
        ({**GOOD, "username": "root"}, b"reserved"),
        ({**GOOD, "username": "a b"}, b"letters, digits"),
        ({**GOOD, "username": "ab"}, b"3 to 32"),
    ],
)
def test_onboarding_refuses_bad_input_and_creates_nothing(data, error):
    response = Client().post("/onboarding/", data)
    assert response.status_code == 200
    assert error in response.content
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_racing_onboardings_create_one_owner():
    """Both requests pass the form at once; the database lets only one owner through."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    barrier = threading.Barrier(2)
    results = []

    def onboard(name):
        from django.db import connections

        client = Client()
        barrier.wait()
        results.append(client.post("/onboarding/", {**GOOD, "username": name}).status_code)
        connections.close_all()

    threads = [threading.Thread(target=onboard, args=(n,)) for n in ("alice", "bruno")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [302, 404]
    assert User.objects.count() == 1
    assert User.objects.filter(is_owner=True).count() == 1


@pytest.mark.django_db
def test_forced_password_change_is_enforced_on_every_page(people, login):
    people.member.must_change_password = True
    people.member.save()
    client = login(people.member)
    for path in ("/", "/boards/", "/settings/groups/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/accounts/password/"


@pytest.mark.django_db
def test_password_change_clears_the_flag_and_ends_other_sessions(people):
    people.member.must_change_password = True
    people.member.save()
    other, client = Client(), Client()
    for c in (other, client):
        c.post("/accounts/login/", {"username": "mia", "password": PASSWORD})
    assert UserSession.objects.filter(user=people.member).count() == 2
    new = "a-much-better-passphrase-42"
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    people.member.refresh_from_db()
    assert not people.member.must_change_password
    assert people.member.check_password(new)
    assert client.get("/").status_code == 200  # this session survives
    assert other.get("/").status_code == 302  # the other one is gone
    assert UserSession.objects.filter(user=people.member).count() == 1
    entry = AuditEntry.objects.get(action="user.password_changed")
    assert PASSWORD not in str(entry.details) and new not in str(entry.details)


@pytest.mark.django_db
def test_password_change_refuses_wrong_old_password_and_same_password(people, login):
    client = login(people.member)
    wrong = client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password1": "x-new-pass-99",
            "new_password2": "x-new-pass-99",
        },
    )
    assert b"Your current password is wrong." in wrong.content
    same = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert b"different from the current one" in same.content
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)


@pytest.mark.django_db
def test_real_argon2id_hash_is_stored_by_default(settings):
    """The production hasher list puts argon2id first (tests prepend a fast one)."""
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "tests." not in h]
    user = User.objects.create_user("hasher", PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
