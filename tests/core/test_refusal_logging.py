"""Refused requests are logged on one line (method, path, user, reason); real errors keep their
traceback (homeportal.log, issue 17)."""

import logging
import sys

import pytest
from django.test import Client

from homeportal.log import RefusalsOnOneLine

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_403_logs_one_line_without_a_traceback(people, login, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(people.member).get("/settings/users/?page=2")
    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    line = record.getMessage()
    assert line == (
        "403 GET /settings/users/?page=2 by mia: You do not have the permission to open this page."
    )
    assert "\n" not in caplog.text.strip() and "Traceback" not in caplog.text


def test_a_404_logs_one_line_naming_the_visitor(people, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get("/no/such/page/").status_code == 404
    lines = [r.getMessage() for r in request_records(caplog)]
    assert "404 GET /no/such/page/ by anonymous: Not Found" in lines
    assert all(r.exc_info is None for r in request_records(caplog))


def test_a_path_cannot_forge_a_second_log_line(people, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get("/no/such%0AERROR forged/").status_code == 404
    [record] = request_records(caplog)
    assert record.getMessage() == "404 GET /no/such%0AERROR%20forged/ by anonymous: Not Found"


def test_server_errors_keep_their_traceback():
    try:
        raise RuntimeError("a real bug")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1,
                               "Internal Server Error: %s", ("/x",), exc_info)  # fmt: skip
    record.status_code = 500
    record.request = object()
    assert RefusalsOnOneLine().filter(record)
    assert record.exc_info is exc_info
    assert record.getMessage() == "Internal Server Error: /x"
