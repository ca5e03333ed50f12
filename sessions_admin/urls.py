from django.urls import path

from sessions_admin import session_views, views

app_name = "sessions_admin"
urlpatterns = [
    path("", session_views.my_sessions, name="mine"),
    path("revoke/", session_views.revoke, name="revoke"),
    path("impersonate/<str:username>/", views.impersonate_start, name="impersonate_start"),
    path("impersonation/end/", views.impersonate_stop, name="impersonate_stop"),
]
