"""The JSON API's changes to groups and accounts (scope `users:manage`): create, rename and
delete groups and set their global permissions; delete a user, hand out a password-reset link,
hand over ownership. Each uses the pages' form and the same groups.rules operation (every owner,
safety and delegation rule, and the audit entry); a rule's refusal answers 403 with its reason
and is recorded like the pages' refusals.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from accounts.manage_forms import DeleteUserForm, ResetLinkForm
from accounts.manage_views import absolute_url, get_user
from accounts.manage_views import delete_user as delete_account
from apitokens.api import ApiError, ApiRequest, endpoint, fields, form_errors, json_body
from apitokens.endpoints import (
    GROUP,
    STR,
    USER,
    described,
    group_json,
    managed_user,
    refused,
    require_user_manager,
)
from apitokens.openapi import arr, obj
from apitokens.scopes import USERS_MANAGE
from boards.models import Board
from groups import rules
from groups.forms import GroupCreateForm, GroupPermissionsForm, GroupRenameForm
from groups.models import Group
from groups.permissions import ADMIN
from groups.refusals import record_refusal
from groups.views import create_from_form, get_group, rename_from_form
from homeportal.net import client_ip
from integrations.models import Integration
from invites.models import PasswordResetLink

PERMISSION_NAMES = arr(STR)
MANAGE_ERRORS = (403, 404, 422)


def group_answer(request: ApiRequest, pk: int) -> dict:
    return group_json(request, Group.objects.annotate(member_count=Count("memberships")).get(pk=pk))


# --- Groups --------------------------------------------------------------------------------


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(name=STR, permissions=PERMISSION_NAMES),
    response=GROUP,
    summary="Creates a group, with global permissions the caller may grant",
    errors=(400, 403, 422),
)
def group_create(request: ApiRequest) -> dict:
    require_user_manager(request)
    body = fields(json_body(request), {"name": str, "permissions": list}, required=("name",))
    form = GroupCreateForm(body)
    if not form.is_valid():
        raise form_errors(form)
    try:
        group = create_from_form(form, request.user, client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error) from None
    if group is None:
        raise form_errors(form)
    return group_answer(request, group.pk)


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(name=STR),
    response=GROUP,
    summary="Renames a group (never everyone)",
    errors=(400, *MANAGE_ERRORS),
)
def group_rename(request: ApiRequest, pk: int) -> dict:
    require_user_manager(request)
    group = get_group(pk)
    body = fields(json_body(request), {"name": str}, required=("name",))
    form = GroupRenameForm(body, group=group)
    if not form.is_valid():
        raise form_errors(form)
    try:
        renamed = rename_from_form(form, group, request.user, client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error, group) from None
    if renamed is None:
        raise form_errors(form)
    return group_answer(request, group.pk)


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(permissions=PERMISSION_NAMES),
    response=GROUP,
    summary="Sets a group's global permissions (everyone's too): the whole list; a user manager "
    "adds only permissions they hold and never admin",
    errors=(400, *MANAGE_ERRORS),
)
def group_permissions(request: ApiRequest, pk: int) -> dict:
    require_user_manager(request)
    group = get_group(pk)
    body = fields(json_body(request), {"permissions": list}, required=("permissions",))
    form = GroupPermissionsForm(body, group=group, grantable=rules.grantable(request.user))
    if not form.is_valid():
        raise form_errors(form)
    try:
        rules.set_permissions(
            group, form.cleaned_data["permissions"], actor=request.user, ip=client_ip(request)
        )
    except rules.RuleError as error:
        raise refused(request, error, group) from None
    return group_answer(request, group.pk)


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    response=obj(deleted=STR),
    summary="Deletes a group (never everyone); its members leave it",
    errors=(400, *MANAGE_ERRORS),
)
def group_delete(request: ApiRequest, pk: int) -> dict:
    require_user_manager(request)
    group = get_group(pk)
    fields(json_body(request), {})
    name = group.name
    try:
        rules.delete_group(group, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error, group) from None
    return {"deleted": name}


# --- Users ---------------------------------------------------------------------------------


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(owned={"type": "string", "enum": ["keep", "transfer", "delete"]}, heir=STR),
    response=obj(deleted=STR),
    summary="Deletes a user; what they own is kept without an owner (default), given to `heir`, "
    "or deleted",
    errors=(400, *MANAGE_ERRORS),
)
def user_delete(request: ApiRequest, username: str) -> dict:
    require_user_manager(request)
    user = get_user(username)
    body = fields(json_body(request), {"owned": str, "heir": str})
    boards = list(Board.objects.filter(owner=user))
    integrations = list(Integration.objects.filter(owner=user))
    data = {"owned": DeleteUserForm.KEEP, "heir": "", **body, "confirm": True}
    form = DeleteUserForm(data, user=user, actor=request.user)
    if form.owned_refusal and data["owned"] != DeleteUserForm.KEEP:
        record_refusal(request, form.owned_refusal, user)
        raise ApiError(403, "refused", form.owned_refusal)
    if not form.is_valid():
        raise form_errors(form)
    try:
        delete_account(request, user, form, boards, integrations)
    except rules.RuleError as error:
        raise refused(request, error, user) from None
    return {"deleted": user.username}


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    body=obj(lifetime={"type": "string", "enum": list(ResetLinkForm.LIFETIMES)}),
    response=obj(user=STR, reset_link=STR, expires_at=STR),
    summary="A one-time link to set the user's password (valid 1 day unless `lifetime` says "
    "otherwise), shown once in this answer; earlier links of the user stop working",
    errors=(400, *MANAGE_ERRORS),
)
def user_reset_link(request: ApiRequest, username: str) -> JsonResponse:
    require_user_manager(request)
    user = get_user(username)
    body = fields(json_body(request), {"lifetime": str})
    form = ResetLinkForm({"lifetime": "1d", **body})
    if not form.is_valid():
        raise form_errors(form)
    try:
        link, token = PasswordResetLink.create(
            user, actor=request.user, lifetime=form.duration, ip=client_ip(request)
        )
    except rules.RuleError as error:
        raise refused(request, error, user) from None
    response = JsonResponse({
        "user": user.username,
        "reset_link": absolute_url(request, reverse("invites:reset_password", args=[token])),
        "expires_at": link.expires_at.isoformat(),
    })  # fmt: skip
    add_never_cache_headers(response)  # the link is shown once: no cache keeps it
    return response


@endpoint(
    "POST",
    scopes=(USERS_MANAGE,),
    response=USER,
    summary="Hands the instance's ownership to an active admin (the owner only)",
    errors=(400, 403, 404),
)
def user_transfer_ownership(request: ApiRequest, username: str) -> dict:
    require_user_manager(request, (ADMIN,))  # the page's own check: admins only
    user = get_user(username)
    fields(json_body(request), {})
    try:
        rules.transfer_ownership(user, actor=request.user, ip=client_ip(request))
    except rules.RuleError as error:
        raise refused(request, error, user) from None
    return described(request, managed_user(user.username))
