"""Authorization matrix entries for integrations (tests/matrix.py).

The world's integration `Lab box` (the test-only `lab` kind, pointing at a closed port) is
owned by the owner; the user manager has a user row at `full`, the `family` group (the member)
`use`. So owner, admin and the user manager reach `full`, the member only `use` (403 on every
settings page), the outsider nothing (404), anonymous visitors are sent to log in (302).
A downloads widget on the boards world's `family` board shows it: running an action needs
view on the board and `interact` on the integration.
"""

from boards.models import Item
from integrations.models import Integration, IntegrationAccess
from tests.integrations.lab_service import lab_kind
from tests.matrix import Route

lab_kind()

ANON = {"anonymous": 302}
LOGGED_IN = {"anonymous": 302, "*": 200}
ADMINS_ONLY = {"owner": 200, "admin": 200, "anonymous": 302, "*": 403}
FULL = {"owner": 200, "admin": 200, "user_manager": 200, "member": 403, "outsider": 404, **ANON}
NO = {"*": 405}


def redirects(table: dict[str, int]) -> dict[str, int]:
    return {k: 302 if v == 200 else v for k, v in table.items()}


def setup_world(world) -> None:
    p = world.people
    integration = Integration.objects.create(
        name="Lab box", kind="lab", url="http://127.0.0.1:9", owner=p.owner
    )
    world.integration = integration
    world.integration_row = IntegrationAccess.objects.create(
        integration=integration, group=p.family, level="use"
    )
    IntegrationAccess.objects.create(integration=integration, user=p.user_manager, level="full")
    world.downloads = Item.objects.create(
        board=world.board, section=world.section, kind="downloads", x=4, y=0, w=4, h=3,
        nx=0, ny=1, nw=4, nh=3, options={"title": "", "integration": integration.pk},
    )  # fmt: skip


def integration_url(suffix: str = ""):
    return lambda w: f"/settings/integrations/{w.integration.pk}/{suffix}"


EDIT = {"name": "Lab box", "url": "http://127.0.0.1:9", "verify_tls": "on"}

ROUTES = {
    "integrations:list": Route("/settings/integrations/", get=LOGGED_IN, post=NO),
    "integrations:create": Route(
        "/settings/integrations/new/?kind=lab",
        get=ADMINS_ONLY,
        post=redirects(ADMINS_ONLY),
        post_data={"name": "Another", "url": "http://127.0.0.1:9"},
    ),
    "integrations:edit": Route(integration_url(), get=FULL, post=redirects(FULL), post_data=EDIT),
    "integrations:delete": Route(integration_url("delete/"), get=FULL, post=redirects(FULL)),
    "integrations:access": Route(
        integration_url("access/"),
        get=FULL,
        post=redirects(FULL),
        post_data=lambda w: {"principal": f"u:{w.people.outsider.pk}", "level": "use"},
    ),
    "integrations:access_remove": Route(
        lambda w: integration_url(f"access/{w.integration_row.pk}/remove/")(w),
        get=NO,
        post=redirects(FULL),
    ),
    # View on the board and the viewer's own `interact`: the member sees the widget (use) but
    # may not act. The upstream is down, so those who may act get the board back (302).
    "boards:item_action": Route(
        lambda w: f"/boards/{w.board.name}/items/{w.downloads.pk}/actions/pause/",
        get=NO,
        post={"owner": 302, "admin": 302, "user_manager": 302, "member": 403, "outsider": 404,
              **ANON},
        post_data={"id": "a1"},
    ),
}  # fmt: skip
