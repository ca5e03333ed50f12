"""The preferences page: name and email, time zone and formats, language."""

from datetime import UTC, datetime

from django.conf import settings

from accounts.models import User
from sessions_admin import audit
from sessions_admin.models import AuditEntry
from tests.boards.factories import add_item, add_section, make_board
from tests.conftest import make_user


def form(**changes) -> dict:
    data = {"display_name": "", "email": "", "color_scheme": "auto"}
    data.update(changes)
    return data


def test_local_users_change_their_display_name_and_email(people, login):
    client = login(people.member)
    response = client.post("/preferences/", form(display_name="  Max M. ", email="max@example.org"))
    assert response.status_code == 302
    people.member.refresh_from_db()
    assert (people.member.display_name, people.member.email) == ("Max M.", "max@example.org")
    page = client.get("/preferences/").content.decode()
    assert 'value="max@example.org"' in page and "Max M." in page


def test_an_invalid_email_is_refused_and_changes_nothing(people, login):
    client = login(people.member)
    before = people.member.display_name
    response = client.post("/preferences/", form(display_name="New", email="not an email"))
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    people.member.refresh_from_db()
    assert people.member.display_name == before and people.member.email == ""


def test_a_too_long_display_name_is_refused(people, login):
    response = login(people.member).post("/preferences/", form(display_name="x" * 151))
    assert response.status_code == 400


def test_name_and_email_from_a_provider_are_read_only(db, login):
    sso = make_user("sam", provider="oidc", display_name="Sam SSO", email="sam@idp.example")
    client = login(sso)
    page = client.get("/preferences/").content.decode()
    assert "Comes from Single sign-on and is updated at each login" in page
    assert page.count("disabled") >= 2
    response = client.post(
        "/preferences/", form(display_name="Hacked", email="x@evil.example", color_scheme="dark")
    )
    assert response.status_code == 302
    sso.refresh_from_db()
    assert (sso.display_name, sso.email, sso.color_scheme) == (
        "Sam SSO",
        "sam@idp.example",
        "dark",
    )


def test_dates_follow_the_users_time_zone_and_time_format(people, login):
    client = login(people.admin)
    audit.record("user.created", actor=people.admin, target=people.member, ip="127.0.0.1")
    entry = AuditEntry.objects.latest("pk")
    entry.created = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
    entry.save(update_fields=["created"])
    response = client.post(
        "/preferences/",
        form(time_zone="Asia/Tokyo", time_format="24", display_name="Adam Admin"),
    )
    assert response.status_code == 302
    assert "22:05" in client.get("/settings/audit/").content.decode()  # 13:05 UTC is 22:05 in Tokyo
    client.post("/preferences/", form(time_zone="America/New_York", time_format="12"))
    page = client.get("/settings/audit/").content.decode()
    assert "8:05 AM" in page and "22:05" not in page
    User.objects.filter(pk=people.member.pk).update(last_login=entry.created)
    assert "8:05 AM" in client.get("/settings/users/").content.decode()  # and the users list


def test_an_unknown_time_zone_is_refused(people, login):
    client = login(people.member)
    response = client.post("/preferences/", form(time_zone="Mars/Olympus"))
    assert response.status_code == 400
    people.member.refresh_from_db()
    assert people.member.time_zone == ""


def test_the_browsers_time_zone_is_stored_once_while_none_is_chosen(people, login):
    client = login(people.member)
    page = client.get("/preferences/").content.decode()
    assert "js/time-zone.js" in page and "<script>" not in page
    assert client.post("/preferences/time-zone/", {"time_zone": "Nowhere/Else"}).status_code == 400
    assert client.post("/preferences/time-zone/", {"time_zone": "Europe/Paris"}).status_code == 204
    people.member.refresh_from_db()
    assert people.member.time_zone == "Europe/Paris"
    # Once one is stored the script is no longer sent, and a later post changes nothing.
    assert "js/time-zone.js" not in client.get("/preferences/").content.decode()
    assert client.post("/preferences/time-zone/", {"time_zone": "Asia/Tokyo"}).status_code == 204
    people.member.refresh_from_db()
    assert people.member.time_zone == "Europe/Paris"


def test_reduced_motion_and_week_start_mark_the_page(people, login):
    client = login(people.member)
    assert "reduce-motion" not in client.get("/preferences/").content.decode()
    client.post("/preferences/", form(motion="reduce", week_start="1"))
    page = client.get("/preferences/").content.decode()
    assert 'class="reduce-motion"' in page and 'data-week-start="1"' in page
    css = (settings.BASE_DIR / "static/css/homeportal.css").read_text()
    assert "html.reduce-motion *" in css


def test_without_a_choice_weeks_start_as_the_language_has_them(people, login):
    """English weeks start on Sunday, French ones on Monday (Django's FIRST_DAY_OF_WEEK); the
    date pickers (js/date-picker.js) read the page's data-week-start."""
    client = login(people.member)
    assert 'data-week-start="0"' in client.get("/preferences/").content.decode()
    client.post("/preferences/", form(language="fr"))
    assert 'data-week-start="1"' in client.get("/preferences/").content.decode()
    client.post("/preferences/", form(language="fr", week_start="6"))
    page = client.get("/preferences/").content.decode()
    assert 'data-week-start="6"' in page and "js/date-picker.js" in page


def test_the_clock_uses_the_viewers_hours_unless_the_widget_sets_them(people, login):
    board = make_board("clocks", people.member)
    section = add_section(board)
    free = add_item(section, "clock", time_zone="UTC", show_date=False)
    forced = add_item(section, "clock", time_zone="UTC", hour12="24", show_date=False)
    client = login(people.member)
    client.post("/preferences/", form(time_format="12"))
    page = client.get("/boards/clocks/").content.decode()
    assert page.count('data-hour-cycle="12"') == 1 and page.count('data-hour-cycle="24"') == 1
    assert free.pk != forced.pk


def test_old_clocks_with_a_ticked_box_keep_12_hours(people, login):
    section = add_section(make_board("old", people.member))
    add_item(section, "clock", time_zone="UTC", hour12=True)
    add_item(section, "clock", time_zone="UTC", hour12=False)
    page = login(people.member).get("/boards/old/").content.decode()
    assert page.count('data-hour-cycle="12"') == 1 and "data-hour-cycle" in page
    assert page.count("data-hour-cycle") == 1  # the unticked one follows the viewer (none set)


def test_a_user_who_chose_french_gets_french_pages(people, login):
    client = login(people.member)
    english = client.get("/preferences/").content.decode()
    assert '<html lang="en"' in english and "Preferences" in english
    assert client.post("/preferences/", form(language="fr")).status_code == 302
    page = client.get("/preferences/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="fr"' in page and "<h1>Préférences</h1>" in page
    assert "Fuseau horaire" in page
    assert client.post("/preferences/", form(language="xx")).status_code == 400


def test_visitors_get_the_language_their_browser_asks_for(people, client):
    page = client.get("/accounts/login/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr"' in page.content.decode()
    assert "Se connecter" in page.content.decode() or "Connexion" in page.content.decode()
    english = client.get("/accounts/login/", headers={"accept-language": "de,en;q=0.5"})
    assert '<html lang="en"' in english.content.decode()
