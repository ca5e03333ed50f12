"""Creating and deleting boards and changing their layout: what the board pages and the editor
do, shared with the JSON API (apitokens.board_endpoints) so both follow the same checks, bump
the same version and write the same audit entries.

A layout change is always a whole layout checked by the editor's own form (SaveLayoutForm:
shapes, grid, overlaps, every widget's options through its form, integration and protected-app
references) and applied by `layout.apply_layout`, which bumps the board's version so every
cached body is dropped. The API's single changes (add a section, move a widget…) edit the
editor's picture of the board read under the lock (`change_layout`) and save it the same way.
"""

import json
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from boards import layout
from boards.forms import BoardCreateForm, SaveLayoutForm
from boards.models import Board, Section, ServerHomeBoard
from boards.render import load_sections
from homeportal.forms import save_unique
from homeportal.net import client_ip
from sessions_admin import audit


class LayoutRefused(Exception):
    """The layout was not saved: `errors` says why; `conflict` when the board changed since
    the version the change started from."""

    def __init__(self, errors: list[str], conflict: bool = False):
        super().__init__("; ".join(errors))
        self.errors, self.conflict = errors, conflict


def save_layout(board: Board, data, grants) -> tuple[Board, list[dict]]:
    """The editor's Save: `data["state"]` is the board's whole layout as JSON, with the version
    it started from. Checked and applied under a lock on the board; answers the saved board and
    the ids and phone places of what was saved (layout.apply_layout), or raises LayoutRefused
    and changes nothing."""
    with transaction.atomic():
        board = Board.objects.select_for_update().get(pk=board.pk)
        form = SaveLayoutForm(board, load_sections(board), data, grants=grants)
        if not form.is_valid():
            errors = [str(e) for e in form.errors.get("state", [])] or [_("Nothing to save.")]
            raise LayoutRefused(errors, form.conflict)
        assert form.layout is not None  # a valid form has parsed the state
        saved = layout.apply_layout(board, form.layout)
    return board, saved


def change_layout[T](
    board: Board, grants, change: Callable[[dict], T], version: int | None = None
) -> tuple[Board, list[dict], T]:
    """One change to the board's current layout: `change` edits the editor's state of the board
    (layout.state, read under the lock) in place and may raise to change nothing; the result is
    saved like the editor's Save (`save_layout`). `version`, when given, must be the board's
    current one (LayoutRefused with `conflict` otherwise). Answers the saved board, what
    `save_layout` answers, and what `change` answered."""
    with transaction.atomic():
        locked = Board.objects.select_for_update().get(pk=board.pk)
        state = layout.state(locked, load_sections(locked))
        if version is not None:
            state["version"] = version
        result = change(state)
        saved_board, saved = save_layout(locked, {"state": json.dumps(state)}, grants)
    return saved_board, saved, result


def first_board_becomes_home(user, board: Board) -> bool:
    """The owner's first board becomes the server's home board while there is none, so `/`
    shows a board instead of a list from the start. Runs in the creating transaction."""
    if not user.is_owner:
        return False
    default = ServerHomeBoard.objects.select_for_update().filter(pk=1).first()
    if default is not None and (default.desktop_board_id or default.mobile_board_id):
        return False
    ServerHomeBoard.objects.update_or_create(pk=1, defaults={"desktop_board": board})
    return True


def name_taken(name: str, board: Board | None = None) -> dict:
    """What save_unique needs to tell a board name taken meanwhile by another request."""
    others = Board.objects.filter(name=name)
    if board is not None:
        others = others.exclude(pk=board.pk)
    return {
        "field": "name",
        "taken": others.exists,
        "message": _("Board with this URL name already exists."),
    }


def create_board(request, form: BoardCreateForm) -> tuple[Board, bool] | None:
    """Creates the board a valid form describes, owned by the request's user (who holds
    `board-create`: checked by the caller), with one empty area and its audit entry. Answers
    (board, whether it became the server's home board), or None when the name was taken
    meanwhile (the form then says so)."""

    def create() -> tuple[Board, bool]:
        board = form.save(commit=False)
        board.owner = request.user
        board.save()
        Section.objects.create(board=board, kind="area", position=0)
        return board, first_board_becomes_home(request.user, board)

    created = save_unique(form, create, **name_taken(form.cleaned_data["name"]))
    if created is not None:
        board = created[0]
        audit.record("board.created", actor=request.user, target=board, ip=client_ip(request),
                     details={"name": board.name, "public": board.is_public})  # fmt: skip
    return created


def delete_board(request, board: Board) -> None:
    """Deletes a board (`full`, checked by the caller) with its audit entry."""
    audit.record("board.deleted", actor=request.user, target=board, ip=client_ip(request),
                 details={"name": board.name})  # fmt: skip
    board.delete()
