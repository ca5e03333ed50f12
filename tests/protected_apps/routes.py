"""Authorization matrix entries for protected apps (tests/matrix.py).

The world's app `Grafana` (grafana.lab.test) is owned by the owner; the `family` group (the
member) has `access`. Owner and admin (admin implies app-manage) manage it; the member reaches
it but may not manage it (403); the outsider does not reach it (404); anonymous visitors are
sent to log in. The forward-auth endpoints answer 403 to the test client: its host is not a
protected app. /auth/start/ without a protected address answers 400 to everyone.
"""

from protected_apps.models import ProtectedApp, ProtectedAppAccess
from tests.matrix import Route

ANON = {"anonymous": 302}
LOGGED_IN = {"anonymous": 302, "*": 200}
ADMINS_ONLY = {"owner": 200, "admin": 200, "anonymous": 302, "*": 403}
MANAGE = {"owner": 200, "admin": 200, "user_manager": 404, "member": 403, "outsider": 404, **ANON}
NO = {"*": 405}


def redirects(table: dict[str, int]) -> dict[str, int]:
    return {k: 302 if v == 200 else v for k, v in table.items()}


def setup_world(world) -> None:
    p = world.people
    world.app = ProtectedApp.objects.create(name="Grafana", host="grafana.lab.test", owner=p.owner)
    world.app_row = ProtectedAppAccess.objects.create(app=world.app, group=p.family)


def app_url(suffix: str = ""):
    return lambda w: f"/settings/protected-apps/{w.app.pk}/{suffix}"


EDIT = {"name": "Grafana", "host": "grafana.lab.test", "path_prefix": "", "icon": ""}

ROUTES = {
    "protected_apps:list": Route("/settings/protected-apps/", get=LOGGED_IN, post=NO),
    "protected_apps:create": Route(
        "/settings/protected-apps/new/",
        get=ADMINS_ONLY,
        post=redirects(ADMINS_ONLY),
        post_data={"name": "Wiki", "host": "wiki.lab.test"},
    ),
    "protected_apps:edit": Route(app_url(), get=MANAGE, post=redirects(MANAGE), post_data=EDIT),
    "protected_apps:delete": Route(app_url("delete/"), get=MANAGE, post=redirects(MANAGE)),
    "protected_apps:access": Route(
        app_url("access/"),
        get=MANAGE,
        post=redirects(MANAGE),
        post_data=lambda w: {"principal": f"u:{w.people.outsider.pk}", "level": "access"},
    ),
    "protected_apps:access_remove": Route(
        lambda w: app_url(f"access/{w.app_row.pk}/remove/")(w), get=NO, post=redirects(MANAGE)
    ),
    "protected_apps:nginx": Route("/auth/nginx", get={"*": 403}, post={"*": 403}),
    "protected_apps:forward": Route("/auth/forward", get={"*": 403}, post={"*": 403}),
    "protected_apps:start": Route("/auth/start/", get={"*": 400}, post={"*": 400}),
}
