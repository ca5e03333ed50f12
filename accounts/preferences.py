"""A user's display preferences applied to the request: time zone, time format, language.

The middleware activates them for the whole request (as django.utils.timezone.activate does
for the time zone), so templates and widgets read them without passing the user around.
"""

import zoneinfo
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.utils import formats, timezone, translation

from accounts.models import TimeFormat

_time_format: ContextVar[str] = ContextVar("time_format", default="")

TIME_PATTERNS: dict[str, str] = {TimeFormat.H24: "H:i", TimeFormat.H12: "g:i A"}


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def activate_time_format(value: str) -> None:
    _time_format.set(value)


def time_format() -> str:
    """The active time format: "24", "12" or "" (as usual for the language)."""
    return _time_format.get()


def datetime_format(long: bool = False) -> str:
    """The date format for a date with time, following the active time format."""
    pattern = TIME_PATTERNS.get(time_format())
    if pattern is None:
        return formats.get_format("DATETIME_FORMAT" if long else "SHORT_DATETIME_FORMAT")
    date = formats.get_format("DATE_FORMAT" if long else "SHORT_DATE_FORMAT")
    return f"{date} {pattern}"


def first_day_of_week(user) -> int:
    """0 for Sunday … 6 for Saturday: the person's choice, else the active language's habit."""
    chosen = getattr(user, "week_start", "")
    if chosen:
        return int(chosen)
    return int(formats.get_format("FIRST_DAY_OF_WEEK"))


def preferences_middleware(get_response):
    """Activates the (effective) user's time zone, time format and chosen language."""

    def middleware(request):
        activate_preferences(request, request.user)
        return get_response(request)

    return middleware


def activate_preferences(request, user) -> None:
    """`user`'s time zone, time format and language for the rest of the request (the server's
    and the browser's for an anonymous visitor); also for API calls, as their holder's."""
    if user.is_authenticated:
        if user.time_zone and is_time_zone(user.time_zone):
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        activate_time_format(user.time_format)
        if user.language and user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
    else:
        timezone.deactivate()
        activate_time_format("")
