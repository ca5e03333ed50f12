from django.urls import include, path

from accounts import views as account_views
from boards import views as board_views
from homeportal import views

urlpatterns = [
    path("", board_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("onboarding/", account_views.onboarding_view, name="onboarding"),
    path("accounts/", include("accounts.urls")),
    path("boards/", include("boards.urls")),
    path("icons/", include("boards.icon_urls")),
    path("settings/users/", include("accounts.manage_urls")),
    path("preferences/", board_views.preferences, name="preferences"),
    path("preferences/time-zone/", board_views.detected_time_zone, name="detected_time_zone"),
    path("settings/groups/", include("groups.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/sessions/", include("sessions_admin.urls")),
    path("settings/audit/", include("sessions_admin.audit_urls")),
    path("settings/api-tokens/", include("apitokens.urls")),
    path("api/v1/", include("apitokens.api_urls")),
    path("", include("invites.urls")),
    path("", include("protected_apps.urls")),
]

handler400 = "homeportal.views.bad_request"
handler403 = "homeportal.views.permission_denied"
handler404 = "homeportal.views.page_not_found"
handler500 = "homeportal.views.server_error"
