from django.conf import settings


def homeportal(request) -> dict:
    return {
        "grants": getattr(request, "grants", None),
        "auth_providers": settings.AUTH_PROVIDERS,
    }
