"""What a group can reach: its board and integration ACL rows, for the group page.

A small seam: when the boards and integrations apps offer their own queries (for instance
`boards.access.boards_for_group`), these two functions become one-line calls to them.
"""

from boards.models import BoardAccess
from groups.models import Group
from integrations.models import IntegrationAccess


def board_rows(group: Group) -> list[BoardAccess]:
    """The group's board rows with their boards, by board title; one query."""
    return list(
        BoardAccess.objects.filter(group=group)
        .select_related("board")
        .order_by("board__title", "board__name")
    )


def integration_rows(group: Group) -> list[IntegrationAccess]:
    """The group's integration rows with their integrations, by name; one query."""
    return list(
        IntegrationAccess.objects.filter(group=group)
        .select_related("integration")
        .order_by("integration__name")
    )
