"""`{{ value|when }}` and `{{ value|when:"long" }}`: a date with time in the viewer's time zone
and time format; `{{ user|first_day_of_week }}`: the first day of the viewer's weeks (0 for
Sunday), for the date pickers (built in: no `{% load %}` needed)."""

from django import template
from django.template.defaultfilters import date

from accounts import preferences
from accounts.preferences import datetime_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def when(value, length: str = "short") -> str:
    if value in (None, ""):
        return ""
    return date(value, datetime_format(long=length == "long"))


@register.filter
def first_day_of_week(user) -> int:
    return preferences.first_day_of_week(user)
