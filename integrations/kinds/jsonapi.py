"""Any JSON API: one GET, values picked from the answer with JSONPath (jsonpath-ng).

For the many services without a kind of their own. The integration's URL is the service's
address and the options name the path to ask (``/api/stats``), the header that carries the
API key when there is one, and the fields: one a line, ``Label | JSONPath | unit``. Only
people with `full` on the integration write expressions; viewers get the values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from jsonpath_ng import JSONPath
from jsonpath_ng.ext import parse as parse_jsonpath

from integrations.kinds.base import (
    ConnectionProblem,
    Context,
    IntegrationKind,
    Query,
    SecretField,
    register,
)

from ._http import json_of, send, unexpected

SERVICE = "The JSON API"
MAX_FIELDS = 20
MAX_TEXT = 200  # characters of a value shown; objects and lists are shown as compact JSON
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"  # an HTTP token (RFC 9110)


@dataclass(frozen=True)
class Field:
    label: str
    path: str
    unit: str


def parse_fields(text: str) -> list[Field]:
    """``Label | JSONPath | unit`` lines (unit optional); ValueError names the first bad line."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValueError(f"Line {number}: write Label | JSONPath | unit (unit optional).")
        try:
            parse_jsonpath(parts[1])
        except Exception as error:  # jsonpath-ng raises several kinds for a bad expression
            raise ValueError(
                f"Line {number}: {parts[1]!r} is not a JSONPath expression."
            ) from error
        found.append(Field(parts[0][:60], parts[1], (parts[2] if len(parts) == 3 else "")[:20]))
    if len(found) > MAX_FIELDS:
        raise ValueError(f"At most {MAX_FIELDS} fields.")
    return found


class JsonApiOptions(forms.Form):
    path = forms.CharField(
        label=_("Path"),
        max_length=500,
        required=False,
        help_text=_("What to ask under the URL, with its query string: /api/v1/stats?period=day"),
    )
    header = forms.RegexField(
        label=_("API key header"),
        regex=HEADER_NAME,
        max_length=64,
        initial="X-Api-Key",
        required=False,
        help_text=_("The header that carries the API key (Authorization for a bearer token)."),
    )
    paths = forms.CharField(
        label=_("Fields"),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Queries today | $.queries | "}),
        max_length=4000,
        help_text=_("One a line: Label | JSONPath | unit, e.g. Temperature | $.main.temp | °C"),
    )

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip()
        if path and not path.startswith("/"):
            path = "/" + path
        if any(c.isspace() for c in path) or "#" in path:
            raise ValidationError(_("A path without spaces or #."))
        return path

    def clean_paths(self) -> str:
        try:
            parse_fields(self.cleaned_data["paths"])
        except ValueError as error:
            raise ValidationError(str(error)) from None
        return self.cleaned_data["paths"].strip()


def _get(ctx: Context) -> Any:
    headers = {"Accept": "application/json"}
    key = ctx.secrets.get("api_key", "")
    if key:
        headers[ctx.options.get("header") or "X-Api-Key"] = key
    response = send(ctx, SERVICE, "GET", ctx.options.get("path") or "", headers=headers)
    if response.status in (401, 403):
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            f"The API refused the request (HTTP {response.status}): check the API key "
            "and its header.",
        )
    if response.status != 200:
        raise unexpected("a JSON API", f"HTTP {response.status}")
    return json_of(response, "a JSON API")


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))[:MAX_TEXT]


def pick(data: Any, fields: list[Field]) -> list[dict[str, Any]]:
    rows = []
    for spec in fields:
        expression: JSONPath = parse_jsonpath(spec.path)
        matches = [match.value for match in expression.find(data)]
        value: Any = None
        if len(matches) == 1:
            value = _shown(matches[0])
        elif matches:
            value = _shown(matches)
        rows.append(
            {"label": spec.label, "value": value, "unit": spec.unit, "found": bool(matches)}
        )
    return rows


def test_connection(ctx: Context) -> str:
    data = _get(ctx)
    fields = parse_fields(ctx.options.get("paths") or "")
    found = sum(row["found"] for row in pick(data, fields))
    if fields and not found:
        raise unexpected("a JSON API", "JSON in which none of the fields is found")
    return f"JSON API: {found} of {len(fields)} fields found"


def fetch_values(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"values": pick(_get(ctx), parse_fields(ctx.options.get("paths") or ""))}


KIND = register(
    IntegrationKind(
        slug="jsonapi",
        name="JSON API",
        description="Any service that answers JSON: values picked with JSONPath, as a table.",
        secret_sets=((), (SecretField("api_key", "API key"),)),
        test_connection=test_connection,
        queries={"values": Query("values", fetch_values, ttl=30)},
        widgets={"values": "values"},
        options_form=JsonApiOptions,
        secrets_help=(
            "The service's API key, when it wants one; it goes in the header named in the "
            'options ("Bearer …" as the key for an Authorization header).'
        ),
        docs_url="https://github.com/h2non/jsonpath-ng#jsonpath-syntax",
    )
)
