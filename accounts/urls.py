from django.urls import path

from accounts import two_factor_views, views
from accounts.providers import oidc_hooks

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("2fa/", two_factor_views.settings_view, name="two_factor"),
    path("2fa/setup/", two_factor_views.setup_view, name="two_factor_setup"),
    path("2fa/disable/", two_factor_views.disable_view, name="two_factor_disable"),
    path("2fa/recovery-codes/", two_factor_views.recovery_codes_view, name="two_factor_codes"),
    path("2fa/verify/", two_factor_views.verify_view, name="two_factor_verify"),
    path("oidc/login/", oidc_hooks.login_view, name="oidc_login"),
    path("oidc/callback/", oidc_hooks.callback_view, name="oidc_callback"),
]
