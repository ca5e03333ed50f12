"""Which board `/` shows (DESIGN.md, "Home board").

In order, the first board the user can view among:

1. the user's own choice (boards.UserPreference);
2. their groups' home boards, by group position (lowest first; `everyone` last);
3. the server's default (boards.ServerHomeBoard, chosen by an admin);

and else none: `/` then leads to the board list. On a phone (told by the User-Agent) each step
offers its phone board first and its desktop board next, so a phone board needs to be set only
where it differs. A board the user cannot view is skipped, never shown.
"""

from functools import lru_cache

from django.db.models import Q
from user_agents import parse as parse_user_agent

from boards.access import KIND, can
from boards.models import Board, Level, ServerHomeBoard, UserPreference


@lru_cache(maxsize=512)
def _is_phone(user_agent: str) -> bool:
    return bool(user_agent) and parse_user_agent(user_agent).is_mobile


def is_phone(request) -> bool:
    return _is_phone(request.META.get("HTTP_USER_AGENT", "")[:400])


def resolve_home_board(request) -> Board | None:
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
