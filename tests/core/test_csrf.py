"""The CSRF tokens pages show (homeportal/csrf.py): Django's masking, from fewer random reads."""

import re
from collections import Counter

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    _unmask_cipher_token,
    get_token,
)
from django.test import Client, RequestFactory

from homeportal.csrf import masked_token
from sessions_admin import engine
from tests.boards.factories import grant, make_board
from tests.conftest import PASSWORD

SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


@pytest.fixture
def lab_board(people):
    board = make_board("lab", people.owner, title="Lab")
    grant(board, "view", group=people.family)
    return board


def request_with(secret):
    request = RequestFactory().get("/")
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


def test_a_token_unmasks_to_the_cookie_s_secret_and_marks_the_cookie_used():
    request = request_with(SECRET)
    token = masked_token(request)
    assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == SECRET
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert token[:32] != token[32:]


def test_every_token_has_a_new_mask_drawn_from_the_whole_alphabet():
    request = request_with(SECRET)
    tokens = [masked_token(request) for _ in range(4000)]
    assert len(set(tokens)) == len(tokens)
    firsts = Counter(token[0] for token in tokens)
    # Every one of the 62 characters comes up, none far more often than its share (65 of
    # 4,000): a mask that dropped or favoured characters would fail this.
    assert set(firsts) == set(CSRF_ALLOWED_CHARS)
    assert max(firsts.values()) < 130
    assert all(_unmask_cipher_token(token) == SECRET for token in tokens[:200])


def test_without_a_secret_a_new_one_is_made_for_the_cookie_too():
    request = request_with(None)
    token = masked_token(request)
    made = request.META["CSRF_COOKIE"]
    assert len(made) == 32 and request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == made
    assert _unmask_cipher_token(get_token(request)) == made


def test_a_form_s_token_is_accepted_and_a_changed_one_refused(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.member, backend="accounts.backends.CredentialsBackend")
    assert "homeportal_csrf" not in client.cookies  # the first page sets it
    page = client.get("/preferences/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', page).group(1)
    assert _unmask_cipher_token(token) == client.cookies["homeportal_csrf"].value
    form = {"display_name": "Member M", "email": "", "color_scheme": "auto", "language": "",
            "time_zone": "", "time_format": "", "week_start": "", "motion": ""}  # fmt: skip
    wrong = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert client.post("/preferences/", {**form, "csrfmiddlewaretoken": wrong}).status_code == 403
    people.member.refresh_from_db()
    assert people.member.display_name != "Member M"
    answer = client.post("/preferences/", {**form, "csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    people.member.refresh_from_db()
    assert people.member.display_name == "Member M"


def _sets_csrf_cookie(response) -> bool:
    return "homeportal_csrf" in response.cookies


def test_the_cookie_is_sent_when_the_browser_needs_it_not_with_every_page(people, lab_board):
    """Django sends the CSRF cookie again with every page that shows a token; here it goes with
    the first page, a new secret (login), and the session's own saves (once a minute while a
    logged-in session is used), which keep it from expiring while it is used."""
    client = Client(enforce_csrf_checks=True)
    first = client.get("/accounts/login/")
    assert _sets_csrf_cookie(first)  # a first visit: the browser has no secret
    assert not _sets_csrf_cookie(client.get("/accounts/login/"))  # it holds this one
    login_page = client.get("/accounts/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', login_page).group(1)
    answer = client.post(
        "/accounts/login/", {"username": "mia", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302 and _sets_csrf_cookie(answer)  # login: a new secret
    secret = client.cookies["homeportal_csrf"].value
    page = client.get("/boards/lab/")  # the first page after login saves the session (last seen)
    assert page.status_code == 200
    assert not _sets_csrf_cookie(client.get("/boards/lab/"))  # shows a token, holds the secret
    assert "csrfmiddlewaretoken" in client.get("/preferences/").content.decode()
    assert not _sets_csrf_cookie(client.get("/preferences/"))

    session = client.session  # last seen over a minute ago: this page saves the session
    session[engine.SEEN] -= 120
    session.save()
    refreshed = client.get("/boards/lab/")
    assert _sets_csrf_cookie(refreshed)
    assert refreshed.cookies["homeportal_csrf"].value == secret  # the same secret, kept alive

    # A browser sending a cookie that is no secret (damaged, forged) is sent a new secret, the
    # one its page's tokens are masked from.
    client.cookies["homeportal_csrf"] = "not a secret"
    again = client.get("/preferences/")
    assert _sets_csrf_cookie(again) and again.cookies["homeportal_csrf"].value != secret
    shown = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', again.content.decode())
    assert _unmask_cipher_token(shown.group(1)) == again.cookies["homeportal_csrf"].value
