"""The one way views reach a board: through the resolver's grants (groups.resolver).

`get_board(request, name, level)` answers the board, or raises Http404 when the user cannot
view it (so its existence does not leak) and PermissionDenied when they can view it but not
reach `level`. Anonymous visitors who cannot reach a board are sent to the login page instead,
whether it exists or not. Nothing in this app reads ACL rows to decide a permission.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from boards.models import Board, BoardAccess, Level
from groups.permissions import ADMIN
from homeportal.http import Request

KIND = "board"
CREATE = "board-create"


class LoginNeeded(Exception):
    """An anonymous visitor asked for something only a logged-in user could reach."""


def get_board(request: Request, name: str, level: str = Level.VIEW,
              base: Callable[[], QuerySet] | None = None) -> Board:  # fmt: skip
    """`base` (a module-level function, as the lookup's SQL is kept per function) makes the
    queryset the board is read from, for an annotation of the caller's own."""
    grants = request.grants
    board = grants.find(KIND, "name", name, base)
    viewable = board is not None and grants.can(KIND, board, Level.VIEW)
    if board is not None and viewable and grants.can(KIND, board, level):
        return board
    if not request.user.is_authenticated:
        raise LoginNeeded
    if not viewable:
        raise Http404
    raise PermissionDenied


def with_board(level: str = Level.VIEW, base: Callable[[], QuerySet] | None = None):
    """View decorator: passes the board named by the URL's `name` to the view, at `level`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, name: str, *args, **kwargs):
            try:
                board = get_board(request, name, level, base)
            except LoginNeeded:
                return redirect_to_login(request.get_full_path())
            return view(request, board, *args, **kwargs)

        return wrapper

    return decorator


def require_board_create(view):
    """View decorator: the `board-create` global permission (login first for anonymous)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.grants.has(CREATE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def require_admin(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.grants.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


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
