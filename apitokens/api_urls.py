from django.urls import path

from apitokens import endpoints, openapi

app_name = "api"
urlpatterns = [
    path("openapi.json", openapi.openapi, name="openapi"),
    path("me", endpoints.me, name="me"),
    path("boards/", endpoints.boards, name="boards"),
    path("boards/<slug:name>/", endpoints.board, name="board"),
    path("boards/<slug:name>/general", endpoints.board_general, name="board_general"),
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
    path("groups/", endpoints.groups, name="groups"),
    path("groups/<int:pk>/members", endpoints.group_member, name="group_member"),
]
