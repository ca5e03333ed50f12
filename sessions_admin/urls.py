from django.urls import path

from sessions_admin import views

app_name = "sessions_admin"
urlpatterns = [
    path("impersonate/<str:username>/", views.impersonate_start, name="impersonate_start"),
    path("impersonation/end/", views.impersonate_stop, name="impersonate_stop"),
]
