"""One integration widget on a board, for the kinds' board tests: the member may view the
board and `interact` with the integration, the outsider may view the board and only `use` it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from boards.models import Board, Item
from integrations.kinds import get_kind
from integrations.models import Integration, IntegrationAccess
from tests.boards.factories import add_section, grant, make_board


@dataclass
class Placed:
    integration: Integration
    board: Board
    item: Item

    def data_url(self) -> str:
        return reverse("boards:item_data", args=[self.board.name, self.item.pk])

    def action_url(self, action: str) -> str:
        return reverse("boards:item_action", args=[self.board.name, self.item.pk, action])


def place(people, slug: str, url: str, widget: str, secrets: dict[str, str], *,
          options: dict | None = None, widget_options: dict | None = None) -> Placed:  # fmt: skip
    integration = Integration.objects.create(
        name=f"{get_kind(slug).name} box", kind=slug, url=url, owner=people.owner,
        options=options or {},
    )  # fmt: skip
    integration.set_secrets(secrets)
    IntegrationAccess.objects.create(integration=integration, user=people.member, level="interact")
    IntegrationAccess.objects.create(integration=integration, user=people.outsider, level="use")
    board = make_board(f"{slug}-board", people.owner)
    grant(board, "view", user=people.member)
    grant(board, "view", user=people.outsider)
    item = Item.objects.create(
        board=board, section=add_section(board), kind=widget,
        options={"title": "", "integration": integration.pk, **(widget_options or {})},
        x=0, y=0, w=4, h=3, nx=0, ny=0, nw=4, nh=3,
    )  # fmt: skip
    return Placed(integration, board, item)
