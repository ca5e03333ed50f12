from django.urls import path, re_path

from boards import icon_views

app_name = "icons"
urlpatterns = [
    path("", icon_views.icon_list, name="list"),
    path("upload/", icon_views.icon_upload, name="upload"),
    path("<int:pk>/delete/", icon_views.icon_delete, name="delete"),
    re_path(
        r"^u/(?P<key>[0-9a-f]{16})\.(?P<ext>png|jpg|gif|webp|ico|svg)$",
        icon_views.serve_icon,
        name="uploaded",
    ),
]
