"""`{{ value|when }}` and `{{ value|when:"long" }}`: a date with time in the viewer's time zone
and time format (built in: no `{% load %}` needed)."""

from django import template
from django.template.defaultfilters import date

from accounts.preferences import datetime_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def when(value, length: str = "short") -> str:
    if value in (None, ""):
        return ""
    return date(value, datetime_format(long=length == "long"))
