"""Secrets never leave the server: a unique secret in every registered kind, then every URL
walked as owner, admin, full, interact, use and anonymous (pages, htmx fragments, exports,
error pages, the audit log, connection tests and actions that fail), and no response and no
log line may contain the secret's bytes."""

import logging

import pytest

from boards.models import BoardAccess, Item
from integrations.kinds import all_kinds
from integrations.models import Integration, IntegrationAccess
from tests.conftest import client_for
from tests.integrations.lab_service import lab_service
from tests.matrix import all_routes, build_world

pytestmark = pytest.mark.django_db


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # a record that cannot be formatted is still checked
            self.lines.append(f"{record.msg!r} {record.args!r} {error}")


@pytest.fixture
def log_lines():
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(exc_text)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def unique_secrets(kind) -> dict[str, str]:
    """One unique value for every secret field of the kind's largest alternative."""
    group = max(kind.secret_sets, key=len, default=())
    return {f.name: f"S3CRET-{kind.slug}-{f.name}-9f2d1c" for f in group}


def test_no_secret_reaches_any_response_or_log_line(people, log_lines):
    with lab_service() as (url, state):
        world = build_world(people)
        p = people
        world.board.is_public = True
        world.board.save()
        state.credentials = ("someone-else", "not-the-stored-one")  # every call fails to log in
        secrets: list[str] = []
        items = []
        integrations = [world.integration]
        for kind in all_kinds():
            integration = Integration.objects.create(
                name=f"{kind.name} box", kind=kind.slug, url=url, owner=p.owner
            )
            values = unique_secrets(kind)
            integration.set_secrets(values)
            secrets += values.values()
            integrations.append(integration)
            for widget in kind.widgets:
                items.append(Item.objects.create(
                    board=world.board, section=world.section, kind=widget, x=0, y=4, w=2, h=2,
                    nx=0, ny=8, nw=2, nh=2, options={"title": "", "integration": integration.pk},
                ))  # fmt: skip
        world.integration.url = url
        world.integration.save()
        world.integration.set_secrets({"username": "matrix-user", "password": "M4TRIX-pw-77"})
        secrets.append("M4TRIX-pw-77")
        assert len(secrets) > 1
        for integration in integrations:
            IntegrationAccess.objects.update_or_create(
                integration=integration, user=p.user_manager, defaults={"level": "full"}
            )
            IntegrationAccess.objects.update_or_create(
                integration=integration, user=p.member, defaults={"level": "interact"}
            )
            IntegrationAccess.objects.update_or_create(
                integration=integration, user=p.outsider, defaults={"level": "use"}
            )
        BoardAccess.objects.update_or_create(
            board=world.board, user=p.outsider, defaults={"level": "view"}
        )
        personas = {"owner": p.owner, "admin": p.admin, "full": p.user_manager,
                    "interact": p.member, "use": p.outsider, "anonymous": None}  # fmt: skip
        bodies: list[tuple[str, bytes]] = []

        def visit(client, method, path, data=None, htmx=False):
            headers = {"HX-Request": "true"} if htmx else {}
            call = client.get if method == "get" else client.post
            answer = call(path, data or {}, headers=headers)
            content = b"".join(answer.streaming_content) if answer.streaming else answer.content
            bodies.append((f"{method} {path}", content + str(answer.headers).encode()))

        routes = all_routes()
        for client in (client_for(u) for u in personas.values()):
            for route in routes.values():
                if route.get is not None:
                    for htmx in (False, True):
                        visit(client, "get", route.url(world), htmx=htmx)
            for item in items:
                data_path = f"/boards/{world.board.name}/items/{item.pk}/data/"
                visit(client, "get", data_path)
                visit(client, "get", data_path, htmx=True)
                for action in ("pause", "pause_all", "remove", "refresh"):
                    path = f"/boards/{world.board.name}/items/{item.pk}/actions/{action}/"
                    visit(client, "post", path, {"id": "a1"}, htmx=True)
                    visit(client, "post", path, {"id": "a1"})
            for integration in integrations:
                edit = f"/settings/integrations/{integration.pk}/"
                visit(client, "get", edit)
                visit(client, "post", edit, {"name": integration.name, "url": url, "test": "1"})
                visit(client, "post", edit, {"name": integration.name, "url": "http://x y/"})
                for suffix in ("access/", "delete/"):
                    visit(client, "get", edit + suffix)
            visit(client, "get", f"/boards/{world.board.name}/")
            visit(client, "get", f"/boards/{world.board.name}/export/")
            visit(client, "get", "/settings/integrations/")
            visit(client, "get", "/settings/integrations/999999/")
            visit(client, "get", "/settings/audit/")
            visit(client, "get", "/no-such-page/")
        # Posts that change things, last: they may remove what the walk above needed.
        for route in routes.values():
            if route.post is not None:
                for user in personas.values():
                    visit(client_for(user), "post", route.url(world), route.data(world))
        assert state.requests, "the walk never reached the service: nothing was tested"
        for secret in secrets:
            needle = secret.encode()
            leaks = [where for where, body in bodies if needle in body]
            assert not leaks, f"{secret} appears in {leaks[:5]}"
            assert not [line for line in log_lines if secret in line], f"{secret} was logged"
        from sessions_admin.models import AuditEntry

        for entry in AuditEntry.objects.all():
            for secret in secrets:
                assert secret not in f"{entry.target_repr} {entry.details}"
