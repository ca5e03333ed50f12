"""Every form field is drawn by templates/partials/field.html: its help text is text, escaped
like any other, so a placeholder such as <name> shows as written and no help text can ever
carry markup into a page."""

import pytest

from tests.boards.factories import make_board

pytestmark = pytest.mark.django_db


def test_help_text_with_angle_brackets_shows_literally(people, login):
    make_board("lab", people.owner)
    page = login(people.owner).get("/boards/lab/general/").content.decode()
    assert "The board&#x27;s address: /boards/&lt;name&gt;/." in page
    assert "/boards/<name>/" not in page


def test_help_text_that_django_marks_safe_keeps_its_list(people, login):
    """The password rules' help is built by Django with format_html (already escaped, marked
    safe); it stays a list."""
    page = login(people.admin).get("/settings/users/new/").content.decode()
    assert "<ul><li>" in page and "&lt;li&gt;" not in page
