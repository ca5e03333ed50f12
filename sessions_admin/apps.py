from django.apps import AppConfig


class SessionsAdminConfig(AppConfig):
    name = "sessions_admin"
