"""The CSRF tokens pages show (homeportal/csrf.py): Django's masking, from fewer random reads."""

import re
from collections import Counter

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    _unmask_cipher_token,
    get_token,
)
from django.test import Client, RequestFactory

from homeportal.csrf import masked_token

SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


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
