"""The calendar widget's days: a calendar answer (UTC, see integrations.kinds) turned into the
viewer's own days, in their time zone and time format (both activated for the request by
accounts.preferences), today first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import dateformat, formats, timezone

from accounts.preferences import TIME_PATTERNS, time_format

register = template.Library()


def _time(moment: dt.datetime) -> str:
    chosen = {str(key): value for key, value in TIME_PATTERNS.items()}.get(time_format())
    pattern = chosen or formats.get_format("TIME_FORMAT")
    return dateformat.format(moment, pattern)


def _span(event: dict[str, Any], zone: dt.tzinfo) -> tuple[dt.date, dt.date, dt.datetime | None,
                                                           dt.datetime | None]:  # fmt: skip
    """(first day, last day, start, end) of an event in `zone`; times None for all-day ones."""
    if event.get("all_day"):
        first = dt.date.fromisoformat(event["start"][:10])
        last = dt.date.fromisoformat(event["end"][:10]) - dt.timedelta(days=1)  # exclusive end
        return first, max(first, last), None, None
    start = dt.datetime.fromisoformat(event["start"])
    end = dt.datetime.fromisoformat(event["end"])
    if event.get("floating"):
        start, end = start.replace(tzinfo=zone), end.replace(tzinfo=zone)
    else:
        start, end = start.astimezone(zone), end.astimezone(zone)
    last = (end - dt.timedelta(microseconds=1)).date() if end > start else start.date()
    return start.date(), last, start, end


@register.simple_tag
def calendar_days(value: Any, days: Any = 7) -> list[dict[str, Any]]:
    """[{"date": date, "today": bool, "events": [{"title", "location", "all_day", "time",
    "continues"}]}] for today and the `days` - 1 days after it (events that already ended
    today are left out; an event over several days shows on each of them)."""
    try:
        count = min(max(int(days), 1), 31)
    except (TypeError, ValueError):
        count = 7
    events = value.get("events") if isinstance(value, dict) else None
    zone = timezone.get_current_timezone()
    now = timezone.localtime(timezone.now(), zone)
    today = now.date()
    horizon = today + dt.timedelta(days=count - 1)
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for event in events if isinstance(events, list) else []:
        try:
            first, last, start, end = _span(event, zone)
        except (KeyError, TypeError, ValueError):
            continue
        if end is not None and end <= now:
            continue
        day = max(first, today)
        while day <= min(last, horizon):
            if start is None or end is None:
                shown = ""
            elif day == first:
                shown = _time(start) + ("" if last > first else f"\u2013{_time(end)}")
            else:
                shown = ""  # a later day of a timed event that spans days
            by_day.setdefault(day, []).append(
                {
                    "title": str(event.get("title", "")),
                    "location": str(event.get("location", "")),
                    "all_day": start is None or day != first,
                    "time": shown,
                    "sort": start.strftime("%H:%M:%S") if start and day == first else "",
                    "continues": day > first,
                }
            )
            day += dt.timedelta(days=1)
    return [
        {
            "date": day,
            "today": day == today,
            "events": sorted(by_day[day], key=lambda e: (not e["all_day"], e["sort"], e["title"])),
        }
        for day in sorted(by_day)
    ]
