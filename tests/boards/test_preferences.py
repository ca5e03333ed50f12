"""The preferences page: name and email, time zone and formats, language."""

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
