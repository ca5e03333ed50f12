"""The calendar kind against a real web service on loopback serving .ics files (a calendar's
whole protocol is one GET): the connection test, repeats expanded, the widget in each
viewer's own time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from homeportal import shared_fetch
from integrations.data import cache_key
from integrations.kinds import ConnectionProblem, Context, get_kind
from tests.conftest import client_for
from tests.integrations.file_service import FileService
from tests.integrations.placed import place

PRIVATE = "/remote.php/dav/public-calendars/K7s9-private-Token?export"
TODAY = dt.datetime.now(dt.UTC).date()


def stamp(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day:%Y%m%d}T{hour:02d}{minute:02d}00Z"


def ics() -> bytes:
    tomorrow = TODAY + dt.timedelta(days=1)
    in_two = TODAY + dt.timedelta(days=2)
    far = TODAY + dt.timedelta(days=40)
    # A weekly event whose next time is tomorrow at noon (UTC): today's would already be over
    # for a run in the afternoon, and ended events are not shown.
    weekly_from = TODAY - dt.timedelta(days=6)
    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//homeportal tests//EN",
        "X-WR-CALNAME:Family",
        "BEGIN:VEVENT", "UID:late@x", f"DTSTAMP:{stamp(TODAY, 0)}",
        f"DTSTART:{stamp(tomorrow, 23, 30)}", f"DTEND:{stamp(in_two, 0, 30)}",
        "SUMMARY:Late call", "LOCATION:Kitchen", "END:VEVENT",
        "BEGIN:VEVENT", "UID:allday@x", f"DTSTAMP:{stamp(TODAY, 0)}",
        f"DTSTART;VALUE=DATE:{in_two:%Y%m%d}",
        f"DTEND;VALUE=DATE:{in_two + dt.timedelta(days=1):%Y%m%d}",
        "SUMMARY:Grandma's birthday", "END:VEVENT",
        "BEGIN:VEVENT", "UID:weekly@x", f"DTSTAMP:{stamp(TODAY, 0)}",
        f"DTSTART:{stamp(weekly_from, 12)}", f"DTEND:{stamp(weekly_from, 13)}",
        "RRULE:FREQ=DAILY;INTERVAL=7", "SUMMARY:Bin day", "END:VEVENT",
        "BEGIN:VEVENT", "UID:far@x", f"DTSTAMP:{stamp(TODAY, 0)}",
        f"DTSTART:{stamp(far, 10)}", f"DTEND:{stamp(far, 11)}",
        "SUMMARY:Far away", "END:VEVENT",
        "END:VCALENDAR", "",
    ]).encode()  # fmt: skip


@pytest.fixture
def service():
    with FileService() as service:
        service.routes[PRIVATE] = (200, "text/calendar; charset=utf-8", ics())
        service.routes["/page"] = (200, "text/html", b"<html>not a calendar</html>")
        yield service


def ctx(service, address: str | None = None, **secrets: str) -> Context:
    address = service.url + PRIVATE if address is None else address
    return Context(url=service.url, secrets={"ics_url": address, **secrets}, options={},
                   integration_id=1)  # fmt: skip


def test_the_connection_test_names_the_calendar(service):
    assert (
        get_kind("calendar").test_connection(ctx(service))
        == "“Family”: 4 events (repeats counted once)"
    )


def test_events_are_expanded_and_only_the_coming_weeks_kept(service):
    events = get_kind("calendar").queries["events"].fetch(ctx(service), {})["events"]
    titles = [e["title"] for e in events]
    assert "Far away" not in titles
    assert titles.count("Bin day") >= 4  # weekly over 31 days
    late = next(e for e in events if e["title"] == "Late call")
    assert late["start"].endswith("23:30:00+00:00") and not late["all_day"]
    assert late["location"] == "Kitchen"
    birthday = next(e for e in events if e["title"] == "Grandma's birthday")
    assert birthday["all_day"] and birthday["start"] == str(TODAY + dt.timedelta(days=2))


def test_a_webcal_address_is_read_over_https(service):
    """webcal:// is https://: to a plain-HTTP server that is a TLS failure, which shows it
    was asked over TLS."""
    https = service.url.replace("http://", "https://")
    context = Context(url=https, secrets={"ics_url": "webcal://" + https[8:] + PRIVATE},
                      options={}, timeout=3)  # fmt: skip
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(context)
    assert problem.value.reason == ConnectionProblem.TLS


def test_a_wrong_private_address_is_an_authentication_problem(service):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(ctx(service, service.url + "/remote.php/guess"))
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    assert "/remote.php/guess" not in problem.value.message


def test_an_address_on_another_server_is_refused_before_asking(service):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(ctx(service, "http://127.0.0.2:9" + PRIVATE))
    assert "not under the integration's URL" in problem.value.message
    assert service.requests == []


def test_a_calendar_behind_a_login_needs_the_right_password(service):
    service.basic = ("anna", "calendar-Pass-1")
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(ctx(service, username="anna", password="wrong-Pw-9"))
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    good = ctx(service, username="anna", password="calendar-Pass-1")
    assert get_kind("calendar").test_connection(good).startswith("“Family”")


def test_an_answer_that_is_not_a_calendar_is_unexpected(service):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(ctx(service, service.url + "/page"))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


def test_a_stopped_server_is_unreachable(service):
    service.stop()
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("calendar").test_connection(ctx(service))
    assert problem.value.reason == ConnectionProblem.UNREACHABLE


@pytest.mark.django_db
def test_each_viewer_sees_the_events_in_their_own_time_zone(service, people):
    placed = place(people, "calendar", service.url, "calendar",
                   {"ics_url": service.url + PRIVATE}, widget_options={"days": 7})  # fmt: skip
    people.member.time_zone, people.member.time_format = "Asia/Tokyo", "24"
    people.member.save()
    people.outsider.time_zone, people.outsider.time_format = "America/New_York", "24"
    people.outsider.save()
    tokyo = client_for(people.member).get(placed.data_url()).content.decode()
    new_york = client_for(people.outsider).get(placed.data_url()).content.decode()
    # 23:30 UTC is 08:30 the next morning in Tokyo, 18:30 or 19:30 the evening before in NY.
    assert "08:30" in tokyo and "Late call" in tokyo and "Kitchen" in tokyo
    assert ("19:30" in new_york or "18:30" in new_york) and "Late call" in new_york
    assert "Grandma&#x27;s birthday" in tokyo and "all day" in tokyo
    assert "Bin day" in tokyo and "Far away" not in tokyo
    for html in (tokyo, new_york):
        assert "K7s9-private-Token" not in html and "remote.php" not in html


@pytest.mark.django_db
def test_fewer_days_show_fewer_events(service, people):
    placed = place(people, "calendar", service.url, "calendar",
                   {"ics_url": service.url + PRIVATE}, widget_options={"days": 1})  # fmt: skip
    html = client_for(people.member).get(placed.data_url()).content.decode()
    assert "Grandma" not in html  # in two days


@pytest.mark.django_db
def test_a_stopped_server_shows_in_the_calendar_widget(service, people):
    placed = place(people, "calendar", service.url, "calendar",
                   {"ics_url": service.url + PRIVATE}, widget_options={"days": 7})  # fmt: skip
    client = client_for(people.member)
    assert "Bin day" in client.get(placed.data_url()).content.decode()
    service.stop()
    shared_fetch.forget(cache_key(placed.integration, "events", None))  # old at once
    html = client.get(placed.data_url()).content.decode()
    assert "cannot be reached" in html and "Bin day" in html  # the last answer, marked old
    assert client.get(placed.board.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_the_settings_page_tests_and_saves_a_calendar_and_never_shows_its_address(service, people):
    client = client_for(people.admin)
    address = service.url + PRIVATE
    form = {"name": "Family", "url": service.url, "verify_tls": "on", "secret_ics_url": address}
    tested = client.post("/settings/integrations/new/?kind=calendar", {**form, "test": "1"})
    assert tested.status_code == 200
    assert "“Family”: 4 events" in tested.content.decode()
    saved = client.post("/settings/integrations/new/?kind=calendar", form)
    assert saved.status_code == 302
    page = client.get(saved["Location"]).content.decode()
    assert "K7s9-private-Token" not in page and "remote.php" not in page
    assert service.url in page  # the server's address is not a secret


def test_a_floating_time_keeps_its_wall_time_and_a_long_event_shows_on_each_day():
    """Floating times (no time zone in the file) are the same wall time for everyone; an
    all-day event of three days shows on each, marked as continuing after the first."""
    from django.utils import timezone

    from accounts.preferences import activate_time_format
    from integrations.templatetags.calendar_days import calendar_days

    later = TODAY + dt.timedelta(days=2)  # a day ahead of today wherever one is
    value = {"events": [
        {"title": "Breakfast", "start": f"{later}T08:15:00", "end": f"{later}T09:00:00",
         "all_day": False, "floating": True, "location": ""},
        {"title": "Camping", "start": str(later), "end": str(later + dt.timedelta(days=3)),
         "all_day": True, "floating": False, "location": ""},
    ]}  # fmt: skip
    activate_time_format("24")
    try:
        for zone in ("Pacific/Auckland", "America/Los_Angeles"):
            with timezone.override(zone):
                days = calendar_days(value, 7)
            breakfast = [e["time"] for d in days for e in d["events"] if e["title"] == "Breakfast"]
            assert breakfast == ["08:15\u201309:00"]
            camping = [e["continues"] for d in days for e in d["events"] if e["title"] == "Camping"]
            assert camping == [False, True, True]
    finally:
        activate_time_format("")
