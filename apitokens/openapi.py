"""The OpenAPI 3.1 document of /api/v1/, built from the code at request time.

Why no library: drf-spectacular and django-ninja describe views of their own framework (Django
REST framework, pydantic models), which would mean a second framework under the API;
apispec only writes the document from dicts we would write anyway. The API is a few dozen
function views, each declaring its method, scopes, body and answer with `@endpoint`
(apitokens.api); walking the URLconf for them and writing those declarations out is smaller
than any of them, and cannot drift from the code, since the routes are the URL patterns and
the declarations sit on the views.
"""

import re

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.decorators.http import require_safe

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
STATUS_TEXT = {
    400: "Bad request",
    401: "No token, or one that does not work",
    403: "The token or its holder may not do this",
    404: "Not found, or not visible to the holder",
    405: "Wrong method",
    409: "The board changed since the version sent",
    422: "Invalid fields",
    429: "Too many calls with this token",
    502: "The service behind the integration failed",
}


def obj(**properties) -> dict:
    return {"type": "object", "properties": properties}


def arr(items: dict) -> dict:
    return {"type": "array", "items": items}


def _patterns(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def document(request: HttpRequest) -> dict:
    paths: dict[str, dict] = {}
    for route, pattern in _patterns():
        spec = getattr(pattern.callback, "api_endpoint", None)
        if spec is None:
            continue
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if kind == "int" else "string"},
            }
            for kind, name in _CONVERTER.findall(route)
        ]
        if spec.paginated:
            parameters += [
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
            ]
        responses = {
            "200": {"description": "OK", "content": {"application/json": {"schema": spec.response}}}
        }
        for status in sorted({401, 405, 429, *spec.errors, *((403,) if spec.scopes else ())}):
            responses[str(status)] = {
                "description": STATUS_TEXT[status],
                "content": {"application/json": {"schema": ERROR}},
            }
        operation = {
            "operationId": pattern.name,
            "summary": spec.summary,
            "parameters": parameters,
            "responses": responses,
            "security": [{"token": list(spec.scopes)}],
        }
        if spec.scopes:
            operation["description"] = "Scopes: " + ", ".join(spec.scopes)
        if spec.body is not None:
            operation["requestBody"] = {
                "content": {"application/json": {"schema": spec.body}},
            }
        paths["/" + _CONVERTER.sub(r"{\2}", route)] = {spec.method.lower(): operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": "homeportal API", "version": "1"},
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (Settings → API tokens).",
                }
            }
        },
        "paths": paths,
    }


@require_safe
def openapi(request: HttpRequest) -> JsonResponse:
    """Public, like any API's description: it names routes, never data."""
    return JsonResponse(document(request))
