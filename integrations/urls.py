from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("new/", views.integration_create, name="create"),
    path("<int:pk>/", views.integration_edit, name="edit"),
    path("<int:pk>/delete/", views.integration_delete, name="delete"),
    path("<int:pk>/access/", views.integration_access, name="access"),
    path(
        "<int:pk>/access/<int:row_id>/remove/",
        views.integration_access_remove,
        name="access_remove",
    ),
]
