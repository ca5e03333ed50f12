"""Which board `/` shows (DESIGN.md, "Home board").

In order, the first board the user can view among:

1. the user's own choice (boards.UserPreference);
2. their groups' home boards, by group position (lowest first; `everyone` last);
3. the server's default (boards.ServerHomeBoard, chosen by an admin);

and else none: `/` then leads to the board list. On a phone (told by the User-Agent) each step
offers its phone board first and its desktop board next, so a phone board needs to be set only
where it differs. A board the user cannot view is skipped, never shown.

`/` is the page people open most, so its answer is kept in this process under the change
counts read with the session (homeportal.changes), as the board page's lookup is: every table
the choice reads raises one of them (the preferences and the server's default, boards and
their ACL rows: `BOARDS`; groups, their home boards and memberships: `GROUPS`), and the board
is then read by the board page's own kept lookup. An unchanged `/` costs what an unchanged
board page costs: the session and the user.
"""

from functools import lru_cache

from django.db.models import Q
from user_agents import parse as parse_user_agent

from boards.access import KIND, can
from boards.models import Board, Level, ServerHomeBoard, UserPreference
from boards.render import with_collapsed
from homeportal import changes


@lru_cache(maxsize=512)
def _is_phone(user_agent: str) -> bool:
    return bool(user_agent) and parse_user_agent(user_agent).is_mobile


def is_phone(request) -> bool:
    return _is_phone(request.META.get("HTTP_USER_AGENT", "")[:400])


_kept_choices = changes.Kept(4096)  # (user, owner, phone, counts) -> board name, "" for none


def resolve_home_board(request) -> Board | None:
    """The board `/` shows this user, with their level and collapsed categories (as the
    board page reads it), or None."""
    boards_count = changes.count_of(request, changes.BOARDS)
    groups_count = changes.count_of(request, changes.GROUPS)
    user = request.user
    if boards_count is None or groups_count is None or not request.grants.is_authenticated:
        return choose_home_board(request)
    key = (user.pk, bool(user.is_owner), is_phone(request), boards_count, groups_count)
    name = _kept_choices.get(key)
    if name is None:
        board = choose_home_board(request)
        name = board.name if board is not None else ""
        _kept_choices.keep(key, name)
    if not name:
        return None
    # Read as the board page reads it (with the viewer's level and collapsed categories, kept
    # the same way), and asked of the resolver again as the board page asks it: a choice is
    # only a name, never a permission.
    found = request.grants.find(KIND, "name", name, None, with_collapsed, boards_count)
    if found is None or not can(request.grants, found, Level.VIEW):
        return choose_home_board(request)
    return found


def choose_home_board(request) -> Board | None:
    """The home board as the database says now (three queries at most)."""
    grants = request.grants
    phone = is_phone(request)

    def pick(desktop: Board | None, mobile: Board | None) -> Board | None:
        for board in (mobile, desktop) if phone else (desktop,):
            if board is not None and can(grants, board, Level.VIEW):
                return board
        return None

    user = request.user
    if grants.is_authenticated:
        preference = (
            UserPreference.objects.select_related("desktop_home_board", "mobile_home_board")
            .filter(user=user)
            .first()
        )
        if preference is not None:
            board = pick(preference.desktop_home_board, preference.mobile_home_board)
            if board is not None:
                return board
        from groups.models import Group

        groups = list(
            Group.objects.filter(pk__in=grants.group_ids)
            .filter(Q(desktop_home_board__isnull=False) | Q(mobile_home_board__isnull=False))
            .select_related("desktop_home_board", "mobile_home_board")
            .order_by("is_everyone", "position", "name")
        )
        grants.prefetch(
            KIND, [b for g in groups for b in (g.desktop_home_board, g.mobile_home_board)]
        )
        for group in groups:
            board = pick(group.desktop_home_board, group.mobile_home_board)
            if board is not None:
                return board
    default = ServerHomeBoard.load()
    return pick(default.desktop_board, default.mobile_board)
