"""The JSON API under /api/v1/: boards, widgets and their live data, integration actions,
users and groups, and `me` (board changes: apitokens.board_endpoints; group and account
changes: apitokens.manage_endpoints). Each view reaches objects the way the pages do (boards.access,
integrations.access, boards.actions, groups.rules, the users pages' forms), through
`request.grants`: the holder's current grants narrowed by the token's scopes (apitokens.api).
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, F, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _

from accounts.manage_forms import ActiveForm, UserCreateForm, UserEditForm
from accounts.manage_views import annotated_users, create_from_form, save_from_form
from accounts.models import User
from apitokens.api import ApiError, ApiRequest, endpoint, form_errors, json_body, paginate
from apitokens.openapi import arr, obj
from apitokens.scopes import (
    BOARDS_READ,
    BOARDS_WRITE,
    INTEGRATIONS_ACT,
    INTEGRATIONS_READ,
    USERS_MANAGE,
    USERS_READ,
    implied,
)
from boards import actions
from boards.access import get_board, level_of, visible_boards
from boards.forms import BoardGeneralForm
from boards.models import Board, Level
from boards.render import RenderedCache, board_stamp, load_body_sections
from boards.views import general_state, save_general
from groups import rules
from groups.models import Group
from groups.permissions import ADMIN, USER_MANAGE, expand
from groups.refusals import record_refusal
from homeportal.net import client_ip
from integrations.access import level_of as integration_level
from integrations.access import visible_integrations

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class OwnerName(TypedDict):
        owner_name: str | None

    class IsAdmin(TypedDict):
        is_admin: bool

    BoardWithOwner = WithAnnotations[Board, OwnerName]  # annotated with `owner_name=OWNER`
    UserWithAdmin = WithAnnotations[User, IsAdmin]  # from manage_views.annotated_users

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_STR = {"type": ["string", "null"]}

USER = obj(
    username=STR,
    display_name=STR,
    email=STR,
    is_active=BOOL,
    is_admin=BOOL,
    is_owner=BOOL,
    provider=STR,
    groups=arr(obj(id=INT, name=STR)),
    manage_refusal=NULLABLE_STR,
)
BOARD = obj(
    name=STR, title=STR, description=STR, is_public=BOOL, owner=NULLABLE_STR, level=STR, url=STR
)
ITEM = obj(id=INT, kind=STR, x=INT, y=INT, w=INT, h=INT, options={"type": "object"}, live=BOOL)
SECTION = obj(id=INT, kind=STR, title=STR, items=arr(ITEM))
GROUP = obj(
    id=INT,
    name=STR,
    position=INT,
    is_everyone=BOOL,
    permissions=arr(STR),
    members=INT,
    manage_refusal=NULLABLE_STR,
)


def page_of(item: dict) -> dict:
    return obj(
        count=INT, page=INT, pages=INT, next=NULLABLE_STR, previous=NULLABLE_STR, results=arr(item)
    )


# --- Me ------------------------------------------------------------------------------------


@endpoint(
    "GET",
    summary="The token's holder, the token, and what it may do now",
    response=obj(
        user=USER,
        token=obj(name=STR, scopes=arr(STR), expires_at=NULLABLE_STR),
        permissions=arr(STR),
    ),
)
def me(request: ApiRequest) -> dict:
    token, grants = request.api_token, request.grants
    return {
        "user": user_json(
            request.user, groups=[m.group for m in request.user.memberships.select_related("group")]
        ),
        "token": {
            "name": token.name,
            "scopes": sorted(implied(token.scopes)),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
        "permissions": sorted(grants.permissions),
    }


# --- Boards --------------------------------------------------------------------------------


OWNER = F("owner__username")
_NAME = "board-name"


@functools.cache
def _board_path(prefix: str) -> tuple[str, str]:
    """The board page's path around its name, reversed once per script prefix (the board's URL
    is in every board answer; a `reverse` per call was a twentieth of the call). A board's name
    is a slug (Board.name's validators), which a URL takes as it is."""
    before, _name, after = reverse("boards:board", args=[_NAME]).partition(_NAME)
    return before, after


def board_url(request: ApiRequest, name: str) -> str:
    before, after = _board_path(get_script_prefix())
    return request.build_absolute_uri(f"{before}{name}{after}")


def board_json(request: ApiRequest, board: BoardWithOwner) -> dict:
    return {
        "name": board.name,
        "title": board.title,
        "description": board.description,
        "is_public": board.is_public,
        "owner": board.owner_name,
        "level": level_of(request.grants, board),
        "url": board_url(request, board.name),
    }


@endpoint(
    "GET",
    scopes=(BOARDS_READ,),
    paginated=True,
    response=page_of(BOARD),
    summary="The boards the caller may view",
)
def boards(request: ApiRequest) -> dict:
    found = visible_boards(request.grants).annotate(owner_name=OWNER).order_by("title", "name")
    return paginate(request, found, lambda board: board_json(request, board))


def boards_with_owner() -> QuerySet:
    return Board.objects.annotate(owner_name=OWNER)


@endpoint(
    "GET",
    scopes=(BOARDS_READ,),
    response=obj(board=BOARD, sections=arr(SECTION)),
    summary="A board with its sections and widgets",
    errors=(404,),
)
def board(request: ApiRequest, name: str) -> HttpResponse:
    found = get_board(request, name, base=boards_with_owner)
    head = json.dumps(board_json(request, cast("BoardWithOwner", found)), cls=DjangoJSONEncoder)
    text = f'{{"board": {head}, "sections": {board_sections(found)}}}'
    return HttpResponse(text, content_type="application/json")


SECTIONS_TIMEOUT = 3600
local_sections: RenderedCache[str] = RenderedCache(64)


def item_json(item) -> dict:
    """A widget as the API shows it: its options as an export shows them (boards.widgets)."""
    widget = item.widget
    return {
        "id": item.pk, "kind": item.kind, "x": item.x, "y": item.y, "w": item.w, "h": item.h,
        "options": widget.export(item.options) if widget else {},
        "live": bool(widget and widget.refresh),
    }  # fmt: skip


def section_json(section, items) -> dict:
    return {
        "id": section.pk,
        "kind": section.kind,
        "title": section.title,
        "items": [item_json(item) for item in items],
    }


def board_sections(board: Board) -> str:
    """The board's sections and widgets as JSON text, the same for every viewer: kept in the
    shared cache under the board's stamp, like the page's body (boards.render: a new release
    or any change names a new one), as text (neither decoded from the cache nor encoded again
    per call)."""
    key = f"api-board-json:{board_stamp(board)}"
    # The key names the whole content, so this process keeps what it read (as boards.render
    # keeps board bodies): no round trip to a shared cache for a board asked again.
    text = local_sections.get((key,)) or cache.get(key)
    if text is None:
        sections = [section_json(s, s.item_list) for s in load_body_sections(board)]
        text = json.dumps(sections, cls=DjangoJSONEncoder)
        cache.set(key, text, SECTIONS_TIMEOUT)
    local_sections.put((key,), text)
    return text


@endpoint(
    "GET",
    scopes=(BOARDS_READ,),
    response=obj(item=INT, kind=STR, data={"type": "object"}),
    summary="A widget's live data, from the same cache as the board page",
    errors=(404,),
)
def item_data(request: ApiRequest, name: str, item_id: int) -> dict:
    found = get_board(request, name)
    item = found.items.filter(pk=item_id).first()
    widget = item.widget if item is not None else None
    if item is None or widget is None or widget.refresh is None:
        raise ApiError(404, "not_found", _("This widget has no live data."))
    return {"item": item.pk, "kind": item.kind, "data": widget.refresh(item, request)}


@endpoint(
    "POST",
    scopes=(BOARDS_READ, INTEGRATIONS_ACT),
    body=obj(id=STR),
    response=obj(ok=BOOL, data={"type": "object"}),
    summary="Runs a widget's integration action (the board page's buttons), audited",
    errors=(400, 403, 404, 502),
)
def item_action(request: ApiRequest, name: str, item_id: int, action: str) -> dict:
    found_board = get_board(request, name)
    found = actions.find_action(found_board, item_id, action)
    data = {k: v for k, v in json_body(request).items() if isinstance(v, str | int)}
    try:
        _params, problem = actions.perform(request, found_board, found, data)
    except actions.BadParams:
        raise ApiError(
            400, "bad_params", _("The action's parameters are not understood.")
        ) from None
    if problem:
        raise ApiError(502, "upstream_failed", problem)
    return {"ok": True, "data": found.refresh(found.item, request)}


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(title=STR, name=STR, is_public=BOOL),
    response=BOARD,
    summary="Changes a board's title, URL name or visibility (fields left out keep their value)",
    errors=(403, 404, 422),
)
def board_general(request: ApiRequest, name: str) -> dict:
    found = get_board(request, name, level=Level.FULL)
    body = json_body(request)
    before = general_state(found)
    data = {"title": found.title, "name": found.name, "is_public": found.is_public}
    data.update({k: v for k, v in body.items() if k in data})
    form = BoardGeneralForm(data, instance=found)
    if not form.is_valid():
        raise form_errors(form)
    saved = save_general(request, form, before)
    if saved is None:
        raise form_errors(form)
    return board_json(request, Board.objects.annotate(owner_name=OWNER).get(pk=saved.pk))


# --- Integrations --------------------------------------------------------------------------


@endpoint(
    "GET",
    scopes=(INTEGRATIONS_READ,),
    paginated=True,
    response=page_of(obj(id=INT, name=STR, kind=STR, level=STR)),
    summary="The integrations the caller may use (never their configuration)",
)
def integrations(request: ApiRequest) -> dict:
    grants = request.grants
    found = visible_integrations(grants).order_by("name", "pk")
    return paginate(
        request,
        found,
        lambda i: {
            "id": i.pk,
            "name": i.name,
            "kind": i.kind,
            "level": integration_level(grants, i),
        },
    )


# --- Users and groups ----------------------------------------------------------------------


def require_user_manager(request: ApiRequest, permissions=(ADMIN, USER_MANAGE)) -> None:
    """The users pages' own check (groups.decorators.require_permission: one of
    `permissions`), on the narrowed grants: a refused change is recorded like the pages'
    refusals."""
    if not any(request.grants.has(permission) for permission in permissions):
        reason = _("You do not have the permission to open this page.")
        if request.method == "POST":
            record_refusal(request, reason)
        raise PermissionDenied(reason)


def user_json(user: User, groups=None, refusal: str | None = None) -> dict:
    if groups is None:
        groups = [m.group for m in user.memberships.all()]
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_admin": bool(getattr(user, "is_admin", False)),
        "is_owner": user.is_owner,
        "provider": user.provider,
        "groups": [{"id": g.pk, "name": g.name} for g in groups],
        "manage_refusal": refusal,
    }


def described(request: ApiRequest, user: UserWithAdmin) -> dict:
    refusal = rules.manage_refusal(
        request.user, user, grants=request.grants, target_is_admin=user.is_admin
    )
    return user_json(user, refusal=str(refusal) if refusal else None)


def managed_user(username: str) -> UserWithAdmin:
    groups = list(Group.objects.all())
    return get_object_or_404(annotated_users(groups), username=username.lower())


def refused(request: ApiRequest, error: rules.RuleError, target=None) -> ApiError:
    record_refusal(request, error.messages[0], target)
    return ApiError(403, "refused", error.messages[0])


@endpoint(
    "GET",
    scopes=(USERS_READ,),
    paginated=True,
    response=page_of(USER),
    summary="Users (admins and user managers)",
    errors=(403,),
)
def users(request: ApiRequest) -> dict:
    require_user_manager(request)
    found = annotated_users(list(Group.objects.all())).order_by("username")
    return paginate(request, found, lambda user: described(request, user))


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    response=obj(user=USER, reset_link=NULLABLE_STR),
    body=obj(
        username=STR, display_name=STR, email=STR, password=STR, must_change=BOOL, groups=arr(INT)
    ),
    summary="Creates a user; without a password, answers a one-time link to set it",
    errors=(403, 422),
)
def user_create(request: ApiRequest) -> dict:
    require_user_manager(request)
    body = json_body(request)
    data = {k: body[k] for k in ("username", "display_name", "email", "groups") if k in body}
    if body.get("password"):
        data.update(
            password_mode=UserCreateForm.SET,
            password1=body["password"],
            password2=body["password"],
            must_change=bool(body.get("must_change", True)),
        )
    else:
        data["password_mode"] = UserCreateForm.LINK
    form = UserCreateForm(data, actor=request.user)
    if not form.is_valid():
        raise form_errors(form)
    try:
        created = create_from_form(form, request.user, client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error) from None
    if created is None:
        raise form_errors(form)
    user, token = created
    from django.urls import reverse

    from accounts.manage_views import absolute_url

    link = absolute_url(request, reverse("invites:reset_password", args=[token])) if token else None
    return {"user": described(request, managed_user(user.username)), "reset_link": link}


@endpoint("GET", scopes=(USERS_READ,), response=USER, summary="One user", errors=(403, 404))
def user(request: ApiRequest, username: str) -> dict:
    require_user_manager(request)
    return described(request, managed_user(username))


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    response=USER,
    body=obj(username=STR, display_name=STR, email=STR, groups=arr(INT)),
    summary="Changes a user's profile or groups (fields left out keep their value)",
    errors=(403, 404, 422),
)
def user_update(request: ApiRequest, username: str) -> dict:
    require_user_manager(request)
    target = managed_user(username)
    body = json_body(request)
    form = UserEditForm(user=target, actor=request.user)
    current = {name: form.initial.get(name) for name in form.fields}
    current["groups"] = [g.pk for g in current["groups"] or []]
    data = {**current, **{k: v for k, v in body.items() if k in form.fields}}
    form = UserEditForm(data, user=target, actor=request.user)
    if not form.is_valid():
        raise form_errors(form)
    try:
        saved = save_from_form(form, target, request.user, client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error, target) from None
    if saved is None:
        raise form_errors(form)
    return described(request, managed_user(saved.username))


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    response=USER,
    body=obj(active=BOOL),
    summary="Disables (ending every session) or enables a user",
    errors=(403, 404, 422),
)
def user_set_active(request: ApiRequest, username: str) -> dict:
    require_user_manager(request)
    target = managed_user(username)
    body = json_body(request)
    value = body.get("active")
    form = ActiveForm({"active": ("1" if value else "0") if isinstance(value, bool) else ""})
    if not form.is_valid():
        raise ApiError(422, "invalid", _("Say whether the account is to be active."))
    try:
        rules.set_active(
            target, form.cleaned_data["active"], actor=request.user, ip=client_ip(request)
        )
    except rules.RuleError as error:
        raise refused(request, error, target) from None
    return described(request, managed_user(username))


def group_json(request: ApiRequest, group: Group) -> dict:
    refusal = rules.manage_refusal(request.user, group=group, grants=request.grants)
    return {
        "id": group.pk,
        "name": group.name,
        "position": group.position,
        "is_everyone": group.is_everyone,
        "permissions": sorted(expand(group.permissions)),
        "members": getattr(group, "member_count", None),
        "manage_refusal": str(refusal) if refusal else None,
    }


@endpoint(
    "GET",
    scopes=(USERS_READ,),
    paginated=True,
    response=page_of(GROUP),
    summary="Groups (admins and user managers)",
    errors=(403,),
)
def groups(request: ApiRequest) -> dict:
    require_user_manager(request)
    found = Group.objects.annotate(member_count=Count("memberships")).order_by(
        "is_everyone", "position", "name"
    )
    return paginate(request, found, lambda group: group_json(request, group))


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(username=STR, member=BOOL),
    response=GROUP,
    summary="Adds a user to a group (member: true) or removes them (member: false)",
    errors=(403, 404, 422),
)
def group_member(request: ApiRequest, pk: int) -> dict:
    require_user_manager(request)
    group = get_object_or_404(Group, pk=pk)
    body = json_body(request)
    username, member = body.get("username"), body.get("member")
    if not isinstance(username, str) or not isinstance(member, bool):
        raise ApiError(422, "invalid", _("Send a username and member: true or false."))
    target = get_object_or_404(User, username=username.strip().lower())
    change = rules.add_member if member else rules.remove_member
    try:
        change(group, target, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error, group) from None
    group = Group.objects.annotate(member_count=Count("memberships")).get(pk=group.pk)
    return group_json(request, group)
