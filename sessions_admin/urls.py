from django.urls import path

from sessions_admin import session_views

app_name = "sessions_admin"
urlpatterns = [
    path("", session_views.my_sessions, name="mine"),
    path("revoke/", session_views.revoke, name="revoke"),
]
