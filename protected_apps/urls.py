from django.urls import path

from protected_apps import views

app_name = "protected_apps"
urlpatterns = [
    path("settings/protected-apps/", views.app_list, name="list"),
    path("settings/protected-apps/new/", views.app_create, name="create"),
    path("settings/protected-apps/<int:pk>/", views.app_edit, name="edit"),
    path("settings/protected-apps/<int:pk>/delete/", views.app_delete, name="delete"),
    path("settings/protected-apps/<int:pk>/access/", views.app_access, name="access"),
    path(
        "settings/protected-apps/<int:pk>/access/<int:row_id>/remove/",
        views.app_access_remove,
        name="access_remove",
    ),
    path("auth/nginx", views.auth_nginx, name="nginx"),
    path("auth/forward", views.auth_forward, name="forward"),
    path("auth/start/", views.start, name="start"),
]
