"""Authorization matrix entries for the boards app (tests/matrix.py).

The world's private board `family` is owned by the owner; the `family` group has `view` on it
and the user manager has a user row at `modify`. So: owner and admin reach `full`, the user
manager `modify`, the member `view`, the outsider nothing (404), anonymous visitors are sent to
log in (302).
"""

import hashlib
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from boards.models import Board, BoardAccess, Item, Section, UploadedIcon
from tests.matrix import Route

ANON = {"anonymous": 302}
LOGGED_IN = {"anonymous": 302, "*": 200}
ADMINS_ONLY = {"owner": 200, "admin": 200, "anonymous": 302, "*": 403}
VIEW = {"owner": 200, "admin": 200, "user_manager": 200, "member": 200, "outsider": 404, **ANON}
MODIFY = {"owner": 200, "admin": 200, "user_manager": 200, "member": 403, "outsider": 404, **ANON}
FULL = {"owner": 200, "admin": 200, "user_manager": 403, "member": 403, "outsider": 404, **ANON}
NO = {"*": 405}
UPLOADERS = {"owner": 302, "admin": 302, "user_manager": 302, "member": 403, "outsider": 403}
DELETERS = {"owner": 302, "admin": 302, "user_manager": 403, "member": 302, "outsider": 403}


def redirects(table: dict[str, int]) -> dict[str, int]:
    """The same table with successes answered by a redirect (a POST that worked)."""
    return {k: 302 if v == 200 else v for k, v in table.items()}


def setup_world(world) -> None:
    p = world.people
    board = Board.objects.create(name="family", title="Family", owner=p.owner)
    section = Section.objects.create(board=board, kind="category", title="Apps")
    item = Item.objects.create(
        board=board,
        section=section,
        kind="app",
        w=2,
        h=1,
        nw=2,
        options={
            "name": "Jellyfin",
            "url": "https://jellyfin.example",
            "new_tab": True,
            "ping": True,
            "ping_url": "http://127.0.0.1:9/",
            "icon": "",
            "description": "",
        },
    )
    world.board, world.section, world.item = board, section, item
    world.group_row = BoardAccess.objects.create(board=board, group=p.family, level="view")
    BoardAccess.objects.create(board=board, user=p.user_manager, level="modify")
    # An icon the member uploaded (when they could): they and admins may delete it.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>'
    digest = hashlib.sha256(svg).hexdigest()
    world.icon = UploadedIcon.objects.create(
        name="Square", content_type="image/svg+xml", data=svg, sha256=digest, size=len(svg),
        uploader=p.member,
    )  # fmt: skip


def icon_upload(_world) -> dict:
    """A fresh file for each request (an uploaded file is read once)."""
    dot = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><circle r="2"/></svg>'
    return {"icon_file": SimpleUploadedFile("dot.svg", dot, content_type="image/svg+xml")}


def board_url(suffix: str = ""):
    return lambda w: f"/boards/{w.board.name}/{suffix}"


def save_state(world) -> dict:
    item = world.item
    state = {
        "version": world.board.version,
        "sections": [
            {
                "id": world.section.pk,
                "kind": "category",
                "title": "Apps",
                "items": [
                    {
                        "id": item.pk,
                        "kind": "app",
                        "options": item.options,
                        "desktop": [1, 0, 2, 1],
                        "narrow": None,
                    }
                ],
            },
        ],
    }
    return {"state": json.dumps(state)}


ROUTES = {
    "boards:list": Route("/boards/", get=LOGGED_IN, post=NO),
    "boards:create": Route(
        "/boards/new/", get=ADMINS_ONLY, post=redirects(ADMINS_ONLY), post_data={"title": "New"}
    ),
    "boards:import": Route(
        "/boards/import/",
        get=ADMINS_ONLY,
        post={**ADMINS_ONLY, "owner": 400, "admin": 400},  # nothing to import: the form again
        post_data={},
    ),
    "boards:icons": Route("/boards/icons/?icon_q=plex", get=LOGGED_IN, post=NO),
    # Uploaded icons (boards/icon_views.py): everyone logged in sees them; whoever can use an
    # icon field somewhere uploads (the user manager modifies the board; the member only views
    # it, uses the integration and reaches the protected app); the uploader and admins delete;
    # the images themselves are public.
    "icons:list": Route("/icons/", get=LOGGED_IN, post=NO),
    "icons:upload": Route(
        "/icons/upload/",
        get=NO,
        post={**UPLOADERS, **ANON},
        post_data=icon_upload,
    ),
    "icons:delete": Route(
        lambda w: f"/icons/{w.icon.pk}/delete/",
        get=NO,
        post={**DELETERS, **ANON},
    ),
    "icons:uploaded": Route(lambda w: w.icon.url, get={"*": 200}, post=NO),
    "boards:home_boards": Route(
        "/boards/home-boards/", get=ADMINS_ONLY, post=redirects(ADMINS_ONLY), post_data={}
    ),
    "boards:group_home_boards": Route(
        lambda w: f"/boards/home-boards/groups/{w.people.family.pk}/",
        get=NO,
        post=redirects(ADMINS_ONLY),
        post_data={},
    ),
    "boards:board": Route(board_url(), get=VIEW, post=NO),
    # Admins only; others who can view the board get 403, those who cannot 404.
    "boards:make_home": Route(
        board_url("make-home/"),
        get=NO,
        post={
            "owner": 302,
            "admin": 302,
            "user_manager": 403,
            "member": 403,
            "outsider": 404,
            **ANON,
        },
        post_data={"target": "server", "where": "both"},
    ),
    "boards:edit": Route(board_url("edit/"), get=MODIFY, post=NO),
    "boards:save": Route(board_url("save/"), get=NO, post=MODIFY, post_data=save_state),
    "boards:widget_form": Route(
        board_url("widget-form/"), get=NO, post=MODIFY, post_data={"kind": "clock", "load": "on"}
    ),
    "boards:settings": Route(
        board_url("settings/"),
        get=MODIFY,
        post=redirects(MODIFY),
        post_data={"columns": 12, "color_scheme": "", "description": "Ours"},
    ),
    "boards:general": Route(
        board_url("general/"),
        get=FULL,
        post=redirects(FULL),
        post_data={"title": "Family", "name": "family"},
    ),
    "boards:access": Route(
        board_url("access/"),
        get=MODIFY,
        post=redirects(FULL),
        post_data=lambda w: {"principal": f"u:{w.people.outsider.pk}", "level": "view"},
    ),
    "boards:access_remove": Route(
        lambda w: f"/boards/{w.board.name}/access/{w.group_row.pk}/remove/",
        get=NO,
        post=redirects(FULL),
    ),
    "boards:duplicate": Route(
        board_url("duplicate/"),
        # Duplicating needs `modify` on the board and the board-create permission.
        get={**MODIFY, "user_manager": 403},
        post=redirects({**MODIFY, "user_manager": 403}),
        post_data={"title": "Copy"},
    ),
    "boards:delete": Route(board_url("delete/"), get=FULL, post=redirects(FULL)),
    "boards:export": Route(board_url("export/"), get=MODIFY, post=NO),
    "boards:collapse": Route(
        lambda w: f"/boards/{w.board.name}/sections/{w.section.pk}/collapse/",
        get=NO,
        post=redirects(VIEW),
        post_data={"collapsed": "on"},
    ),
    "boards:item_data": Route(
        lambda w: f"/boards/{w.board.name}/items/{w.item.pk}/data/", get=VIEW, post=NO
    ),
    "preferences": Route(
        "/preferences/",
        get=LOGGED_IN,
        post=redirects(LOGGED_IN),
        post_data={"color_scheme": "dark"},
    ),
    "detected_time_zone": Route(
        "/preferences/time-zone/",
        get=NO,
        post={"anonymous": 302, "*": 204},
        post_data={"time_zone": "Europe/Paris"},
    ),
}
