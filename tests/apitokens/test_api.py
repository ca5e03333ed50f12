"""The JSON API with personal tokens: authentication, effective rights (scopes ∩ the holder's
current grants), a demoted or disabled holder, revoked and expired tokens, errors, pagination,
rate limiting, audit, and the OpenAPI document."""

import json
import os
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import set_script_prefix
from django.utils import timezone

from apitokens.models import ApiToken
from apitokens.scopes import narrow
from boards.models import Board, BoardAccess, Item
from groups import rules
from groups.models import Group, Membership
from groups.resolver import grants_for
from sessions_admin.models import AuditEntry
from tests.apitokens.conftest import bearer

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def test_me_names_the_holder_and_the_effective_permissions(people, token_for):
    token = token_for(people.admin, "boards:read")
    body = bearer(token).get("/api/v1/me").json()
    assert body["user"]["username"] == "adam"
    assert body["token"]["scopes"] == ["boards:read"]
    # An admin's token for reading boards carries no admin power.
    assert body["permissions"] == ["board-view-all"]


def test_scopes_cap_an_admins_levels(people, family_board):
    grants = narrow(grants_for(people.admin), ["boards:read"])
    assert grants.level("board", family_board) == "view"
    assert not grants.is_admin
    assert list(grants.visible("board", Board.objects.all(), "modify")) == []
    full = narrow(grants_for(people.admin), ["boards:write"])
    assert full.level("board", family_board) == "full"


def test_never_stronger_than_the_holder(people, family_board, token_for):
    """boards:write on a member who may only view: still only view."""
    token = token_for(people.member, "boards:write")
    body = bearer(token).get(f"/api/v1/boards/{family_board.name}/").json()
    assert body["board"]["level"] == "view"


def test_a_board_s_address_is_its_page_s_under_any_script_prefix(people, family_board, token_for):
    client = bearer(token_for(people.member, "boards:read"))
    board = client.get("/api/v1/boards/family/").json()["board"]
    assert board["url"] == "http://testserver/boards/family/"
    # Served under /home/ (what a WSGI server's SCRIPT_NAME sets; the test client does not).
    set_script_prefix("/home/")
    try:
        listed = client.get("/api/v1/boards/").json()["results"]
        under = client.get("/api/v1/boards/family/").json()["board"]
    finally:
        set_script_prefix("/")
    assert [b["url"] for b in listed] == ["http://testserver/home/boards/family/"]
    assert under["url"] == "http://testserver/home/boards/family/"
    assert client.get("/api/v1/boards/family/").json()["board"]["url"] == board["url"]


def test_a_demoted_holder_s_token_loses_power_at_once(people, family_board, token_for):
    client = bearer(token_for(people.member, "boards:read"))
    assert client.get("/api/v1/boards/family/").status_code == 200
    rules.remove_member(people.family, people.member, actor=people.owner)
    response = client.get("/api/v1/boards/family/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_demoted_user_manager_s_token_loses_the_users_list(people, token_for):
    client = bearer(token_for(people.user_manager, "users:manage"))
    assert client.get("/api/v1/users/").status_code == 200
    rules.remove_member(people.managers, people.user_manager, actor=people.owner)
    assert client.get("/api/v1/users/").status_code == 403


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_revoked_or_expired_token_is_refused(people, token_for, state):
    token = token_for(people.member, "boards:read")
    row = ApiToken.objects.get()
    if state == "revoked":
        row.revoke()
    else:
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(token).get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_missing_tokens(people):
    assert error_of(bearer("hp_nothing").get("/api/v1/me"))["code"] == "invalid_token"
    assert error_of(Client().get("/api/v1/me"))["code"] == "unauthenticated"


def test_disabling_the_holder_ends_the_token_for_good(people, token_for):
    token = token_for(people.member, "boards:read")
    rules.set_active(people.member, False, actor=people.owner)
    assert bearer(token).get("/api/v1/me").status_code == 401
    rules.set_active(people.member, True, actor=people.owner)
    assert bearer(token).get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get().revoked_reason == "holder_disabled"


def test_a_token_chosen_to_survive_waits_while_the_holder_is_disabled(people, token_for):
    token = token_for(people.member, "boards:read", survives=True)
    rules.set_active(people.member, False, actor=people.owner)
    assert bearer(token).get("/api/v1/me").status_code == 401
    rules.set_active(people.member, True, actor=people.owner)
    people.member.refresh_from_db()
    assert bearer(token).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(("survives", "status"), [(False, 401), (True, 200)])
def test_a_password_change_ends_tokens_unless_chosen(people, token_for, survives, status):
    token = token_for(people.member, "boards:read", survives=survives)
    people.member.set_password("another-long-password-42")
    people.member.save()
    assert bearer(token).get("/api/v1/me").status_code == status


def test_a_session_cookie_never_authenticates_a_call(people, login):
    client = login(people.owner)
    assert client.get("/settings/users/").status_code == 200  # the session works for pages
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_a_token_in_a_cookie_is_not_read(people, token_for):
    client = Client()
    client.cookies["Authorization"] = f"Bearer {token_for(people.owner, 'boards:read')}"
    client.cookies["token"] = token_for(people.owner, "boards:read")
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_calls_need_no_csrf_token(people, token_for):
    client = bearer(token_for(people.owner, "users:manage"), enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/users/mia/edit", json.dumps({"display_name": "Mia M."}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    people.member.refresh_from_db()
    assert people.member.display_name == "Mia M."


def test_writes_are_audited_with_the_token_name(people, token_for):
    token = token_for(people.owner, "users:manage", name="Home Assistant")
    bearer(token).post(
        "/api/v1/users/mia/active", json.dumps({"active": False}), content_type="application/json"
    )
    entry = AuditEntry.objects.filter(action__startswith="user.").latest("pk")
    assert entry.details["via_api"] == "Home Assistant"
    assert entry.actor == people.owner


def test_a_user_manager_s_token_obeys_the_delegation_rules(people, token_for):
    client = bearer(token_for(people.user_manager, "users:manage"))
    # Never acts on an admin.
    response = client.post(
        "/api/v1/users/adam/active", json.dumps({"active": False}), content_type="application/json"
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "refused"
    people.admin.refresh_from_db()
    assert people.admin.is_active
    # Never places anyone in a group that grants admin.
    response = client.post(
        f"/api/v1/groups/{people.admins.pk}/members",
        json.dumps({"username": "otto", "member": True}), content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert not Membership.objects.filter(user=people.outsider, group=people.admins).exists()
    assert AuditEntry.objects.filter(action="admin.refused").exists()


def test_a_read_only_token_cannot_write(people, token_for):
    client = bearer(token_for(people.owner, "users:read"))
    response = client.post(
        "/api/v1/users/mia/active", json.dumps({"active": False}), content_type="application/json"
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"
    people.member.refresh_from_db()
    assert people.member.is_active


@pytest.mark.parametrize(
    "body", [b"{", b"[1, 2]", json.dumps({"username": "ne", "groups": "x"}).encode()]
)
def test_bad_input_is_refused_and_changes_nothing(people, token_for, body):
    client = bearer(token_for(people.owner, "users:manage"))
    before = people.owner.__class__.objects.count()
    response = client.post("/api/v1/users/new", body, content_type="application/json")
    assert response.status_code in (400, 422)
    error_of(response)
    assert people.owner.__class__.objects.count() == before


@pytest.mark.parametrize("value", [[1], "no", None, {"a": 1}])
def test_set_active_refuses_anything_but_true_or_false(people, token_for, value):
    client = bearer(token_for(people.owner, "users:manage"))
    response = client.post("/api/v1/users/mia/active", json.dumps({"active": value}))
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"
    people.member.refresh_from_db()
    assert people.member.is_active


def test_creating_a_user_without_a_password_answers_a_one_time_link(people, token_for):
    client = bearer(token_for(people.user_manager, "users:manage"))
    response = client.post(
        "/api/v1/users/new",
        json.dumps({"username": "nina", "groups": [people.family.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["groups"] == [{"id": people.family.pk, "name": "family"}]
    assert "/reset/" in body["reset_link"] or body["reset_link"].startswith("http")


def test_pagination(people, token_for):
    for n in range(3):
        Board.objects.create(name=f"b{n}", title=f"B{n}", owner=people.owner)
    client = bearer(token_for(people.owner, "boards:read"))
    first = client.get("/api/v1/boards/?per_page=2").json()
    assert first["count"] == 3 and first["pages"] == 2 and len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert [b["name"] for b in second["results"]] == ["b2"] and second["next"] is None
    assert client.get("/api/v1/boards/?page=x").status_code == 400
    assert client.get("/api/v1/boards/?per_page=0").status_code == 400
    assert client.get("/api/v1/boards/?page=9").status_code == 404


def test_lists_are_filtered_by_the_resolver(people, family_board, token_for):
    Board.objects.create(name="private", title="Private", owner=people.admin)
    names = lambda user: [  # noqa: E731
        b["name"]
        for b in bearer(token_for(user, "boards:read")).get("/api/v1/boards/").json()["results"]
    ]
    assert names(people.member) == ["family"]
    assert names(people.outsider) == []
    assert sorted(names(people.owner)) == ["family", "private"]


@override_settings(API_RATE_LIMIT=3)
def test_calls_are_rate_limited_per_token(people, token_for):
    client = bearer(token_for(people.member, "boards:read"))
    other = bearer(token_for(people.member, "boards:read"))
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/me")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    assert other.get("/api/v1/me").status_code == 200  # per token


def test_last_used_time_and_address_are_recorded(people, token_for):
    bearer(token_for(people.member, "boards:read")).get("/api/v1/me", REMOTE_ADDR="10.1.2.3")
    row = ApiToken.objects.get()
    assert row.last_used_ip == "10.1.2.3" and row.last_used_at is not None


def test_the_openapi_document_lists_every_api_route(people):
    document = Client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    operations = {
        op["operationId"] for methods in document["paths"].values() for op in methods.values()
    }
    from apitokens import api_urls

    names = {p.name for p in api_urls.urlpatterns} - {"openapi"}
    assert operations == names
    board = document["paths"]["/api/v1/boards/{name}/"]["get"]
    assert board["security"] == [{"token": ["boards:read"]}]
    assert "401" in board["responses"] and "404" in board["responses"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: Redis round trips")
def test_with_redis_a_call_makes_one_round_trip_and_its_grants_follow_the_database(
    people, family_board, token_for, monkeypatch
):
    import redis
    from redis.client import Pipeline

    client = bearer(token_for(people.member, "boards:read"))
    assert client.get("/api/v1/boards/family/").status_code == 200  # grants computed, kept
    sent, pipelines = [], []
    one, many = redis.Redis.execute_command, Pipeline.execute

    def command(self, *args, **options):
        sent.append(args[0])
        return one(self, *args, **options)

    def pipeline(self, *args, **options):
        pipelines.append([c[0][0] for c in self.command_stack])
        return many(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", command)
    monkeypatch.setattr(Pipeline, "execute", pipeline)
    assert client.get("/api/v1/boards/family/").status_code == 200
    # The rate counter only: the holder's grants are kept in the process under the change
    # count read with the token (homeportal.changes), not read from Redis.
    assert pipelines == [] and sent == ["EVAL"]
    # The grants so kept are the holder's current ones: taking the board's group away shows.
    Membership.objects.filter(user=people.member, group=people.family).delete()
    assert client.get("/api/v1/boards/family/").status_code == 404


def test_query_count_does_not_grow_with_boards_users_or_widgets(people, family_board, token_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from boards.models import Item
    from tests.conftest import make_user

    client = bearer(token_for(people.member, "boards:read"))

    def count() -> int:
        client.get("/api/v1/boards/family/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/boards/family/").status_code == 200
        return len(queries)

    small = count()
    section = family_board.sections.get()
    for n in range(40):
        Board.objects.create(name=f"more-{n}", title=f"More {n}", owner=people.owner)
        make_user(f"extra{n:02d}", people.family)
        Item.objects.create(
            board=family_board, section=section, kind="clock", y=n + 1, w=2, h=1, nw=2,
            options={"title": "", "time_zone": "UTC", "hour12": "", "show_seconds": False,
                     "show_date": False},
        )  # fmt: skip
    for board in Board.objects.filter(name__startswith="more-"):
        BoardAccess.objects.create(board=board, group=people.family, level="view")
    assert count() == small
    assert len(client.get("/api/v1/boards/family/").json()["sections"][0]["items"]) == 41


def test_an_unknown_api_address_answers_json_404(people, token_for):
    response = bearer(token_for(people.member, "boards:read")).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_errors_speak_the_browser_s_language_then_the_holder_s(people, token_for):
    """Before the token is known the Accept-Language header decides; once it is, the holder's
    chosen language does, as on the pages."""
    anonymous = Client(headers={"Accept-Language": "fr"})
    refused = anonymous.get("/api/v1/me")
    assert refused.status_code == 401 and "jeton" in error_of(refused)["message"].lower()
    assert refused["Content-Language"] == "fr"
    people.member.language = "en"
    people.member.save()
    token = token_for(people.member, "boards:read")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "fr"}
    response = Client().get("/api/v1/users/", headers=headers)
    assert response.status_code == 403
    assert "scope" in error_of(response)["message"]  # the English sentence of the holder


def test_api_calls_leave_no_session_or_cookie_behind(people, token_for, family_board):
    response = bearer(token_for(people.member, "boards:read")).get("/api/v1/boards/family/")
    assert response.status_code == 200
    assert not response.cookies
    assert "Accept-Language" in response["Vary"] and "Authorization" in response["Vary"]


def test_a_new_release_never_answers_sections_cached_by_the_old_one(
    people, family_board, token_for, monkeypatch
):
    """The sections are cached under the board's stamp, which names the release too (as the
    page's body is): a new release's export of the same rows is answered, not the old text."""
    from boards import render

    client = bearer(token_for(people.member, "boards:read"))
    first = client.get("/api/v1/boards/family/").json()
    assert first["sections"][0]["items"][0]["options"]["title"] == "Paris"
    # The same rows, exported by another release: seen through a raw update (no new version)
    Item.objects.filter(board=family_board).update(options={"title": "Lyon", "time_zone": "UTC"})
    assert client.get("/api/v1/boards/family/").json() == first  # the same release: cached
    monkeypatch.setattr(render, "_DIGEST", ["another-release"])
    answer = client.get("/api/v1/boards/family/").json()
    assert answer["sections"][0]["items"][0]["options"]["title"] == "Lyon"


def test_calls_resolve_against_the_api_s_own_urls_mounted_where_the_site_mounts_them():
    from django.urls import get_resolver, resolve, reverse

    from apitokens.api import API_URLCONF

    api_only = {p.pattern.describe() for p in get_resolver(API_URLCONF).url_patterns}
    site = [p for p in get_resolver().url_patterns if p.pattern.describe() in api_only]
    assert len(site) == 1 and getattr(site[0], "namespace", None) == "api"
    for name, args in (("api:board", ["family"]), ("api:me", []), ("api:openapi", [])):
        address = reverse(name, args=args)
        assert address.startswith("/api/v1/")
        here, there = resolve(address, urlconf=API_URLCONF), resolve(address)
        assert here.func == there.func and here.kwargs == there.kwargs
        assert here.view_name == there.view_name


def test_a_token_s_grants_follow_group_changes_made_behind_every_signal(people, token_for):
    """The token is read with the database's change counts (homeportal.changes): its holder's
    grants are kept while groups and memberships are unchanged, and read again after any
    write to them, however made."""
    Board.objects.create(name="private", title="Private", owner=people.owner)
    api = bearer(token_for(people.member, "boards:read"))
    assert api.get("/api/v1/boards/private/").status_code == 404
    Group.objects.filter(pk=people.family.pk).update(permissions=["board-view-all"])
    assert api.get("/api/v1/boards/private/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM groups_membership WHERE user_id = %s", [people.member.pk])
    assert api.get("/api/v1/boards/private/").status_code == 404
