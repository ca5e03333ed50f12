from django.urls import path

from accounts import manage_views as views

app_name = "users"
urlpatterns = [
    path("", views.user_list, name="list"),
    path("new/", views.user_create, name="create"),
    path("<str:username>/", views.user_detail, name="detail"),
    path("<str:username>/active/", views.user_set_active, name="set_active"),
    path(
        "<str:username>/force-password-change/",
        views.user_force_password_change,
        name="force_password_change",
    ),
    path("<str:username>/reset-link/", views.user_reset_link, name="reset_link"),
    path("<str:username>/delete/", views.user_delete, name="delete"),
    path(
        "<str:username>/transfer-ownership/",
        views.user_transfer_ownership,
        name="transfer_ownership",
    ),
]
