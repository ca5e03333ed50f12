"""The integrations a group's ACL rows reach, for the group pages (boards come from
`boards.access.boards_for_group`, which also names the group's home boards)."""

from groups.models import Group
from integrations.models import IntegrationAccess


def integration_rows(group: Group) -> list[IntegrationAccess]:
    """The group's integration rows with their integrations, by name; one query."""
    return list(
        IntegrationAccess.objects.filter(group=group)
        .select_related("integration")
        .order_by("integration__name")
    )
