"""The one way views reach a board: through the resolver's grants (groups.resolver).

`get_board(request, name, level)` answers the board, or raises Http404 when the user cannot
view it (so its existence does not leak) and PermissionDenied when they can view it but not
reach `level`. Anonymous visitors who cannot reach a board are sent to the login page instead,
whether it exists or not. The lookup is the one of every ACL kind (groups.objects). Nothing in
this app reads ACL rows to decide a permission.
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from boards.models import Board, BoardAccess, Level
from groups.decorators import require_held
from groups.objects import LoginNeeded as LoginNeeded  # what get_board raises for anonymous
from groups.objects import get_object, with_object
from groups.permissions import ADMIN
from groups.resolver import Base, ForViewer
from homeportal.http import Request

KIND = "board"
CREATE = "board-create"


def get_board(request: Request, name: str, level: str = Level.VIEW,
              base: Base | None = None) -> Board:  # fmt: skip
    """`base` (a module-level function, as the lookup's SQL is kept per function) makes the
    queryset the board is read from, for an annotation of the caller's own."""
    return get_object(request, KIND, "name", name, level, base)


def with_board(level: str = Level.VIEW, base: Base | None = None,
               for_viewer: ForViewer | None = None, counted: int | None = None):  # fmt: skip
    """View decorator: passes the board named by the URL's `name` to the view, at `level`.
    `counted`: a change count every table of the lookup raises (see get_object)."""
    return with_object(KIND, "name", level, base=base, for_viewer=for_viewer, counted=counted)


# View decorators: the `board-create` global permission, or `admin` (login first for anonymous).
require_board_create = require_held(CREATE)
require_admin = require_held(ADMIN)


def visible_boards(grants, level: str | None = None) -> QuerySet:
    """Boards the user can reach at `level` (view by default), filtered in the database."""
    return grants.visible(KIND, Board.objects.all(), level)


def level_of(grants, board: Board) -> str | None:
    return grants.level(KIND, board)


def can(grants, board: Board, level: str) -> bool:
    return grants.can(KIND, board, level)


@dataclass(frozen=True)
class GroupBoard:
    board: Board
    level: str | None  # the group's ACL row, or None when the board is only its home board
    home: tuple[str, ...]  # "desktop" and/or "mobile" when it is the group's home board

    @property
    def level_label(self) -> str:
        from boards.models import Level

        return str(Level(self.level).label) if self.level else ""


def boards_for_group(group) -> list[GroupBoard]:
    """The boards a group's row reaches, and its home boards, for the group pages.

    Access that members get from the group's global permissions (`admin`, `board-*-all`) is
    not listed board by board; `group_board_permission(group)` says which applies.
    """
    rows = list(
        BoardAccess.objects.filter(group=group).select_related("board").order_by("board__title")
    )
    homes: dict[int, list[str]] = {}
    if group.desktop_home_board_id:
        homes.setdefault(group.desktop_home_board_id, []).append("desktop")
    if group.mobile_home_board_id:
        homes.setdefault(group.mobile_home_board_id, []).append("mobile")
    result = [GroupBoard(r.board, r.level, tuple(homes.pop(r.board_id, ()))) for r in rows]
    if homes:
        for board in Board.objects.filter(pk__in=homes):
            result.append(GroupBoard(board, None, tuple(homes[board.pk])))
    return result


def group_board_permission(group) -> str | None:
    """The board level every member gets on every board from the group's global permissions."""
    from groups.permissions import expand

    permissions = expand(group.permissions)
    if ADMIN in permissions or "board-full-all" in permissions:
        return Level.FULL
    if "board-modify-all" in permissions:
        return Level.MODIFY
    if "board-view-all" in permissions:
        return Level.VIEW
    return None
