from django.urls import path

from invites import views

app_name = "invites"
urlpatterns = [
    path("settings/invites/", views.invite_list, name="list"),
    path("settings/invites/new/", views.invite_create, name="create"),
    path("settings/invites/<int:pk>/revoke/", views.invite_revoke, name="revoke"),
    # Public: the links handed to people.
    path("invite/<str:token>/", views.register, name="register"),
    path("reset-password/<str:token>/", views.reset_password, name="reset_password"),
]
