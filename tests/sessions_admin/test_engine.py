"""The session engine keeps Django's database store's contract where it hashes keys."""

import pytest

from sessions_admin.engine import SessionStore

pytestmark = pytest.mark.django_db


def test_a_store_without_a_key_loads_an_empty_session():
    """Django's database store reads nothing for a store that has no key yet; hashing the
    missing key must not turn that into an error."""
    assert SessionStore().load() == {}


def test_a_saved_session_loads_back_by_its_key():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    assert SessionStore(store.session_key).load() == {"colour": "green"}
