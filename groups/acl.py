"""What a group can reach, for the group pages: boards (through the boards app, which also
names the group's home boards) and integration ACL rows.
"""

from boards.access import GroupBoard, boards_for_group
from groups.models import Group
from integrations.models import IntegrationAccess


def board_rows(group: Group) -> list[GroupBoard]:
    """The boards the group's rows reach and its home boards (`boards.access`)."""
    return boards_for_group(group)


def integration_rows(group: Group) -> list[IntegrationAccess]:
    """The group's integration rows with their integrations, by name; one query."""
    return list(
        IntegrationAccess.objects.filter(group=group)
        .select_related("integration")
        .order_by("integration__name")
    )
