"""The forward-auth endpoints answer here, near the top of the middleware stack: a reverse
proxy asks before every request to a protected app, and the answer needs nothing that the
middleware below would load (session, user, messages, language). The views are also in the
URLconf, so they have names and the authorization matrix walks them."""

from django.http import HttpRequest

from protected_apps import views

ENDPOINTS = {"/auth/nginx": views.auth_nginx, "/auth/forward": views.auth_forward}


def forward_auth_middleware(get_response):
    def middleware(request: HttpRequest):
        view = ENDPOINTS.get(request.path_info)
        if view is not None:
            return view(request)
        return get_response(request)

    return middleware
