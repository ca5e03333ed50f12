"""The forward-auth endpoints through Django's test client: who gets 200, 401/302 and 403, the
identity headers, the trusted-peer rule, the return address, and that a warm decision costs no
query while revocation, disabling and group changes apply on the next request. The real
nginx and Caddy in front of real apps are in test_forward_servers.py."""

import ipaddress
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from accounts import two_factor
from groups import rules
from groups.models import Membership
from protected_apps.models import ProtectedApp, ProtectedAppAccess
from sessions_admin.models import AuditEntry, UserSession
from sessions_admin.services import revoke_sessions
from tests.conftest import PASSWORD, client_for, make_group, make_user

pytestmark = pytest.mark.django_db

GRAFANA = "grafana.lab.test"
WIKI = "wiki.lab.test"


@pytest.fixture
def apps(people):
    grafana = ProtectedApp.objects.create(name="Grafana", host=GRAFANA, owner=people.owner)
    ProtectedAppAccess.objects.create(app=grafana, group=people.family)
    wiki = ProtectedApp.objects.create(
        name="Wiki admin", host=WIKI, path_prefix="/admin/", require_two_factor=True
    )
    ProtectedAppAccess.objects.create(app=wiki, group=people.family)
    return grafana, wiki


def nginx(client: Client, url: str, peer: str = "127.0.0.1", **headers):
    return client.get("/auth/nginx", headers={"X-Original-URL": url, **headers},
                      REMOTE_ADDR=peer)  # fmt: skip


def forward(client: Client, host: str, uri: str = "/", peer: str = "127.0.0.1"):
    headers = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": host, "X-Forwarded-Uri": uri}  # fmt: skip
    return client.get("/auth/forward", headers=headers, REMOTE_ADDR=peer)


def test_member_of_the_allowed_group_gets_in_with_identity_headers(people, apps):
    response = nginx(client_for(people.member), f"https://{GRAFANA}/d/home")
    assert response.status_code == 200
    assert response["Remote-User"] == "mia"
    assert response["Remote-Name"] == "Mia Member"
    assert response["Remote-Groups"] == "family"
    assert "Remote-Email" in response


def test_others_are_refused_and_anonymous_must_log_in(people, apps):
    assert nginx(client_for(people.outsider), f"https://{GRAFANA}/").status_code == 403
    assert nginx(client_for(people.user_manager), f"https://{GRAFANA}/").status_code == 403
    assert nginx(Client(), f"https://{GRAFANA}/").status_code == 401
    # Owner of the app, and admins (admin implies app-manage), reach it.
    assert nginx(client_for(people.owner), f"https://{GRAFANA}/").status_code == 200
    assert nginx(client_for(people.admin), f"https://{GRAFANA}/").status_code == 200


def test_app_manage_reaches_every_app(people, apps):
    make_group("gatekeepers", "app-manage").memberships.create(user=people.outsider)
    assert nginx(client_for(people.outsider), f"https://{GRAFANA}/").status_code == 200


def test_everyone_row_lets_every_user_in_but_not_anonymous(people, apps):
    grafana, _ = apps
    ProtectedAppAccess.objects.create(app=grafana, group=people.everyone)
    assert nginx(client_for(people.outsider), f"https://{GRAFANA}/").status_code == 200
    assert nginx(Client(), f"https://{GRAFANA}/").status_code == 401


def test_forward_redirects_to_the_start_page_with_the_return_address(people, apps, settings):
    settings.BASE_URL = "https://home.lab.test"
    response = forward(Client(), GRAFANA, "/d/home?x=1")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "home.lab.test",
                                                                 "/auth/start/")  # fmt: skip
    assert parse_qs(location.query)["rd"] == [f"https://{GRAFANA}/d/home?x=1"]
    assert forward(client_for(people.member), GRAFANA).status_code == 200
    assert forward(client_for(people.outsider), GRAFANA).status_code == 403


def test_custom_header_names_and_separator(people, apps, settings):
    settings.AUTH_FORWARD_USER_HEADER = "X-WEBAUTH-USER"
    settings.AUTH_FORWARD_GROUPS_HEADER = "X-Groups"
    settings.AUTH_FORWARD_GROUPS_SEPARATOR = "|"
    Membership.objects.create(user=people.member, group=make_group("grafana-editors"))
    response = nginx(client_for(people.member), f"https://{GRAFANA}/")
    assert response["X-WEBAUTH-USER"] == "mia"
    assert response["X-Groups"] == "family|grafana-editors"
    assert "Remote-User" not in response


def test_path_prefix_and_dot_segments(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{WIKI}/admin/x").status_code == 401  # two-factor needed
    assert nginx(member, f"https://{WIKI}/public/").status_code == 403  # not protected: refused
    # `/public/../admin/` is /admin/ for the proxy, and so for the gate.
    assert nginx(member, f"https://{WIKI}/public/%2e%2e/admin/").status_code == 401


def test_unknown_host_is_refused(people, apps):
    assert nginx(client_for(people.admin), "https://elsewhere.test/").status_code == 403


def test_untrusted_peer_is_refused_whatever_its_headers_say(people, apps, settings):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/", peer="192.0.2.7").status_code == 403
    assert forward(member, GRAFANA, peer="192.0.2.7").status_code == 403
    settings.AUTH_FORWARD_TRUSTED_NETWORKS = [ipaddress.ip_network("10.0.0.2/32")]
    assert nginx(member, f"https://{GRAFANA}/").status_code == 403
    assert nginx(member, f"https://{GRAFANA}/", peer="10.0.0.2").status_code == 200


def test_warm_decision_costs_no_query(people, apps, django_assert_num_queries):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200  # warms the entry
    with django_assert_num_queries(0):
        response = nginx(member, f"https://{GRAFANA}/other")
    assert response.status_code == 200 and response["Remote-User"] == "mia"


def test_warm_refusal_and_anonymous_cost_no_query(people, apps, django_assert_num_queries):
    nginx(Client(), f"https://{GRAFANA}/")  # loads the table of apps in this process
    with django_assert_num_queries(0):
        assert nginx(Client(), f"https://{GRAFANA}/").status_code == 401


def test_warm_unknown_session_cookie_costs_no_query(people, apps, django_assert_num_queries):
    stale = Client()
    stale.cookies["homeportal_session"] = "no-such-session-key-0123456789abcdef"
    assert nginx(stale, f"https://{GRAFANA}/").status_code == 401
    with django_assert_num_queries(0):
        assert nginx(stale, f"https://{GRAFANA}/").status_code == 401


def test_revoking_the_session_cuts_access_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200
    revoke_sessions(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 401


def test_logout_cuts_access_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200
    cookie = member.cookies["homeportal_session"].value
    member.post("/accounts/logout/")
    again = Client()
    again.cookies["homeportal_session"] = cookie
    assert nginx(again, f"https://{GRAFANA}/").status_code == 401


def test_disabling_the_user_cuts_access_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200
    rules.set_active(people.member, False, actor=people.owner)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 401


def test_leaving_the_group_cuts_access_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200
    rules.remove_member(people.family, people.member, actor=people.owner)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 403


def test_deleting_the_group_cuts_access_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 200
    rules.delete_group(people.family, actor=people.owner)
    assert nginx(member, f"https://{GRAFANA}/").status_code == 403


def test_a_new_access_row_applies_on_the_next_request(people, apps):
    grafana, _ = apps
    outsider = client_for(people.outsider)
    assert nginx(outsider, f"https://{GRAFANA}/").status_code == 403
    ProtectedAppAccess.objects.create(app=grafana, user=people.outsider)
    assert nginx(outsider, f"https://{GRAFANA}/").status_code == 200


def test_renaming_the_user_changes_the_header_on_the_next_request(people, apps):
    member = client_for(people.member)
    assert nginx(member, f"https://{GRAFANA}/")["Remote-Name"] == "Mia Member"
    people.member.display_name = "Mia M."
    people.member.save()
    assert nginx(member, f"https://{GRAFANA}/")["Remote-Name"] == "Mia M."


def test_denied_attempts_are_counted_in_one_audit_entry_per_app(people, apps):
    outsider = client_for(people.outsider)
    for _ in range(3):
        assert nginx(outsider, f"https://{GRAFANA}/").status_code == 403
    entries = AuditEntry.objects.filter(action="protected_app.denied")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.details["repeats"] == 3 and entry.details["last_user"] == "otto"
    assert entry.target_repr == "Grafana"


def test_sessions_page_lists_the_apps_the_session_used(people, apps):
    member = client_for(people.member)
    nginx(member, f"https://{GRAFANA}/")
    session = UserSession.objects.get(user=people.member)
    assert list(session.app_uses.values_list("app__name", flat=True)) == ["Grafana"]
    page = member.get("/settings/sessions/")
    assert page.status_code == 200 and "Grafana" in page.content.decode()


# --- The start page: log in, second factor, return address --------------------------------


def test_start_sends_anonymous_visitors_to_log_in_and_back(people, apps):
    response = Client().get("/auth/start/", {"rd": f"https://{GRAFANA}/d/home"})
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query)["next"] == [f"https://{GRAFANA}/d/home"]
    client = Client()
    answer = client.post("/accounts/login/?" + login.query,
                         {"username": "mia", "password": PASSWORD})  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == f"https://{GRAFANA}/d/home"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/",
        "https://grafana.lab.test.evil.test/",
        "//evil.test/",
        "https://evil.test\\@grafana.lab.test/",
        "https://user@evil.test/",
        "javascript:alert(1)",
        f"https://{WIKI}/public/",  # the host is protected only under /admin/
    ],
)
def test_return_address_cannot_point_outside_protected_apps(people, apps, target):
    assert Client().get("/auth/start/", {"rd": target}).status_code == 400
    client = Client()
    answer = client.post("/accounts/login/?next=" + target.replace("&", "%26"),
                         {"username": "mia", "password": PASSWORD})  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_two_factor_app_asks_for_the_code_then_lets_in(people, apps):
    member = client_for(people.member)
    setup = two_factor.start_setup(people.member)
    setup.confirmed = True
    setup.save()
    target = f"https://{WIKI}/admin/"
    assert nginx(member, target).status_code == 401
    page = member.get("/auth/start/", {"rd": target})
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    wrong = member.post(f"/auth/start/?rd={target}", {"code": "000000"})
    assert wrong.status_code == 400
    assert nginx(member, target).status_code == 401
    code = pyotp.TOTP(two_factor.secret(setup)).at(time.time() + 30)  # next step: not used yet
    right = member.post(f"/auth/start/?rd={target}", {"code": code})
    assert right.status_code == 302 and right["Location"] == target
    assert nginx(member, target).status_code == 200


def test_two_factor_app_without_two_factor_set_up_says_so(people, apps):
    member = client_for(people.member)
    page = member.get("/auth/start/", {"rd": f"https://{WIKI}/admin/"})
    assert page.status_code == 403
    assert reverse("accounts:two_factor") in page.content.decode()


def test_start_for_an_app_without_two_factor_goes_straight_back(people, apps):
    response = client_for(people.member).get("/auth/start/", {"rd": f"https://{GRAFANA}/"})
    assert response.status_code == 302 and response["Location"] == f"https://{GRAFANA}/"


def test_impersonated_session_is_refused(people, apps):
    admin = client_for(people.admin)
    session = admin.session
    session["_hp_impersonation"] = {"user": people.member.pk, "until": time.time() + 600}
    session.save()
    assert nginx(admin, f"https://{GRAFANA}/").status_code == 401


def test_user_manager_cannot_grant_app_manage_without_holding_it(people):
    with pytest.raises(rules.RuleError):
        rules.set_permissions(people.family, ["app-manage"], actor=people.user_manager)
    holder = make_user("hank", make_group("helpers", "user-manage", "app-manage"))
    rules.set_permissions(people.family, ["app-manage"], actor=holder)
