from django.urls import path

from apitokens import board_endpoints as boards
from apitokens import endpoints, openapi
from apitokens import manage_endpoints as manage

app_name = "api"
urlpatterns = [
    path("openapi.json", openapi.openapi, name="openapi"),
    path("me", endpoints.me, name="me"),
    path("boards/", endpoints.boards, name="boards"),
    path("boards/new", boards.board_create, name="board_create"),
    path("boards/<slug:name>/", endpoints.board, name="board"),
    path("boards/<slug:name>/general", endpoints.board_general, name="board_general"),
    path("boards/<slug:name>/delete", boards.board_delete, name="board_delete"),
    path("boards/<slug:name>/sections/new", boards.section_create, name="section_create"),
    path(
        "boards/<slug:name>/sections/<int:section_id>/edit",
        boards.section_update,
        name="section_update",
    ),
    path(
        "boards/<slug:name>/sections/<int:section_id>/delete",
        boards.section_delete,
        name="section_delete",
    ),
    path("boards/<slug:name>/items/new", boards.item_create, name="item_create"),
    path("boards/<slug:name>/items/<int:item_id>/edit", boards.item_update, name="item_update"),
    path("boards/<slug:name>/items/<int:item_id>/move", boards.item_move, name="item_move"),
    path("boards/<slug:name>/items/<int:item_id>/delete", boards.item_delete, name="item_delete"),
    path("boards/<slug:name>/items/<int:item_id>/data/", endpoints.item_data, name="item_data"),
    path(
        "boards/<slug:name>/items/<int:item_id>/actions/<slug:action>/",
        endpoints.item_action,
        name="item_action",
    ),
    path("integrations/", endpoints.integrations, name="integrations"),
    path("users/", endpoints.users, name="users"),
    path("users/new", endpoints.user_create, name="user_create"),
    path("users/<str:username>/", endpoints.user, name="user"),
    path("users/<str:username>/edit", endpoints.user_update, name="user_update"),
    path("users/<str:username>/active", endpoints.user_set_active, name="user_set_active"),
    path("users/<str:username>/delete", manage.user_delete, name="user_delete"),
    path("users/<str:username>/reset-link", manage.user_reset_link, name="user_reset_link"),
    path(
        "users/<str:username>/ownership",
        manage.user_transfer_ownership,
        name="user_transfer_ownership",
    ),
    path("groups/", endpoints.groups, name="groups"),
    path("groups/new", manage.group_create, name="group_create"),
    path("groups/<int:pk>/rename", manage.group_rename, name="group_rename"),
    path("groups/<int:pk>/permissions", manage.group_permissions, name="group_permissions"),
    path("groups/<int:pk>/members", endpoints.group_member, name="group_member"),
    path("groups/<int:pk>/delete", manage.group_delete, name="group_delete"),
]
