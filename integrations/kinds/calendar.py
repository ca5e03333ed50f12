"""Calendars published as iCalendar (``.ics``) files: Nextcloud, Google, Radicale, Home
Assistant, Outlook... parsed with icalendar, repeats expanded with recurring-ical-events.

A private calendar address is a credential (anyone who has it reads the calendar), so it is a
secret: the integration's URL is only the server's address (``https://calendar.google.com``)
and the whole calendar address, which must be under it, is the secret. ``webcal://`` is read
as ``https://``. Calendars behind a login take a username and password (HTTP Basic).

The answer covers the next `DAYS` days (and the day before, for viewers in time zones behind
UTC), in UTC; the widget shows each viewer their own days in their own time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from integrations.kinds.base import (
    ConnectionProblem,
    Context,
    IntegrationKind,
    Query,
    SecretField,
    register,
)

from ._http import send, unexpected

SERVICE = "The calendar"
DAYS = 31  # the longest a widget shows
MAX_EVENTS = 300
UTC = dt.UTC


def _path(ctx: Context) -> str:
    """The calendar address relative to the integration's URL (which it must be under)."""
    address = ctx.secrets.get("ics_url", "").strip()
    if address.lower().startswith("webcal://"):
        address = "https://" + address[len("webcal://") :]
    base = ctx.url.rstrip("/")
    if address.lower() == base.lower():
        return ""
    if not address.lower().startswith(((base + "/").lower(), (base + "?").lower())):
        raise ConnectionProblem(
            ConnectionProblem.UNREACHABLE,
            "The calendar address is not under the integration's URL: put its server "
            "(https://host or https://host/path) in the URL field.",
        )
    return address[len(base) :]


def _download(ctx: Context) -> Calendar:
    auth = None
    if ctx.secrets.get("username") or ctx.secrets.get("password"):
        auth = (ctx.secrets.get("username", ""), ctx.secrets.get("password", ""))
    response = send(
        ctx,
        SERVICE,
        "GET",
        _path(ctx),
        auth=auth,
        headers={"Accept": "text/calendar, */*;q=0.5"},
        max_bytes=8 * 1024 * 1024,
    )
    if response.status in (401, 403):
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            f"The calendar server refused access (HTTP {response.status}): check the "
            "username and password.",
        )
    if response.status in (404, 410):
        raise ConnectionProblem(
            ConnectionProblem.AUTHENTICATION,
            f"The calendar server does not know this calendar address (HTTP {response.status}): "
            "check it, a private address may have been reset.",
        )
    if response.status != 200:
        raise unexpected("a calendar", f"HTTP {response.status}")
    body = response.body
    if b"BEGIN:VCALENDAR" not in body[:4096].upper():
        raise unexpected("a calendar", "something that is not an iCalendar file")
    try:
        return Calendar.from_ical(body)
    except ValueError:
        raise unexpected("a calendar", "an iCalendar file that cannot be read") from None


def _text(value: Any, limit: int = 200) -> str:
    return str(value or "").strip()[:limit]


def _moment(value: Any) -> tuple[str, bool, bool]:
    """(ISO text, all day, floating) of a DTSTART/DTEND value."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # floating: the same wall time wherever one is
            return value.isoformat(), False, True
        return value.astimezone(UTC).isoformat(), False, False
    return value.isoformat(), True, False


def events_between(
    calendar: Calendar, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        begins = event.get("DTSTART")
        if begins is None:
            continue
        first, all_day, floating = _moment(begins.dt)
        finish = event.get("DTEND")
        if finish is not None:
            last = _moment(finish.dt)[0]
        elif event.get("DURATION") is not None:
            last = _moment(begins.dt + event["DURATION"].dt)[0]
        else:
            last = _moment(begins.dt + (dt.timedelta(days=1) if all_day else dt.timedelta()))[0]
        found.append(
            {
                "title": _text(event.get("SUMMARY")) or "(no title)",
                "start": first,
                "end": last,
                "all_day": all_day,
                "floating": floating,
                "location": _text(event.get("LOCATION")),
            }
        )
    found.sort(key=lambda e: (e["start"][:10], not e["all_day"], e["start"], e["title"]))
    return found[:MAX_EVENTS]


def test_connection(ctx: Context) -> str:
    calendar = _download(ctx)
    name = _text(calendar.get("X-WR-CALNAME"), 80)
    count = len(calendar.walk("VEVENT"))
    label = f"“{name}”" if name else "Calendar"
    return f"{label}: {count} event{'s' if count != 1 else ''} (repeats counted once)"


def fetch_events(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(UTC)
    start = now - dt.timedelta(days=1)
    end = now + dt.timedelta(days=DAYS + 1)
    return {"events": events_between(_download(ctx), start, end), "at": now.isoformat()}


KIND = register(
    IntegrationKind(
        slug="calendar",
        name="Calendar (iCal)",
        description="Any .ics calendar (Nextcloud, Google, Radicale...): the next events.",
        secret_sets=(
            (SecretField("ics_url", "Calendar address (.ics)"),),
            (
                SecretField("ics_url", "Calendar address (.ics)"),
                SecretField("username", "Username", plain=True),
                SecretField("password", "Password"),
            ),
        ),
        test_connection=test_connection,
        queries={"events": Query("events", fetch_events, ttl=300)},
        widgets={"calendar": "events"},
        secrets_help=(
            "The calendar's private iCal address, e.g. Google Calendar → Settings → the "
            "calendar → Secret address in iCal format; Nextcloud → the calendar's ⋯ → Copy "
            "private link (add ?export). The URL field holds only its server."
        ),
        docs_url="https://icalendar.org/",
        default_url="https://calendar.google.com",
    )
)
