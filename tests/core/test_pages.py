"""Health check, security headers, the Content-Security-Policy, and friendly error pages."""

import re

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_200_with_the_database_up():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_down(monkeypatch):
    from django.db.utils import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_pages_carry_a_strict_csp_with_a_nonce_on_every_script(people, login):
    response = login(people.member).get("/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(rb"<script[^>]*>", response.content)
    assert scripts, "the page loads htmx"
    for tag in scripts:
        assert f'nonce="{nonce}"'.encode() in tag or b" src=" in tag


def test_no_inline_event_handlers_or_styles_in_the_base_page(people, login):
    content = login(people.member).get("/").content
    assert not re.search(rb"\son[a-z]+=", content)
    assert not re.search(rb"\sstyle=", content)


def test_security_headers(people, login):
    response = login(people.member).get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_htmx_is_served_from_our_own_static_files(people, login):
    content = login(people.member).get("/").content.decode()
    src = re.search(r'<script[^>]+src="([^"]+htmx[^"]*)"', content).group(1)
    assert src.startswith("/static/")
    static = Client().get(src)
    assert static.status_code == 200
    static.close()
    assert 'hx-headers=\'{"X-CSRFToken": "' in content


def test_unknown_page_is_a_friendly_404(people, login):
    response = login(people.member).get("/no/such/page/")
    assert response.status_code == 404
    assert b"There is nothing here, or you cannot see it." in response.content


def test_color_scheme_follows_the_user(people, login):
    people.member.color_scheme = "dark"
    people.member.save()
    assert b'data-theme="dark"' in login(people.member).get("/").content


def test_server_error_page_renders_without_the_database(people, settings):
    from django.test import RequestFactory

    from homeportal.views import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_logout_control_is_a_post_form(people, login):
    content = login(people.member).get("/").content
    assert re.search(rb'<form method="post" action="/accounts/logout/">', content)
