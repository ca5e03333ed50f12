"""Settings → API tokens: creation shows the token once, only its hash is stored, nothing
shows it again; the choices offered follow the holder's role; revocation."""

import hashlib
import re

import pytest

from apitokens.models import ApiToken
from sessions_admin.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/settings/api-tokens/"


def create(client, **fields):
    data = {"name": "phone", "scopes": ["boards:read"], "expires": "90", **fields}
    return client.post(URL, data)


def shown_token(response) -> str:
    match = re.search(r'id="new-token" value="(hp_[^"]+)"', response.content.decode())
    assert match, "the new token is shown in the answer to its creation"
    return match.group(1)


def test_a_token_is_shown_once_and_only_its_hash_is_stored(people, login):
    client = login(people.owner)
    response = create(client)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token = shown_token(response)
    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(token in value or token[3:] in value for value in stored)
    # No page shows it again: the holder's list, everyone's list, the user's admin page, the
    # audit log.
    pages = [URL, f"{URL}all/", "/settings/users/olivia/", "/settings/audit/"]
    for page in pages:
        html = client.get(page).content.decode()
        assert token[3:] not in html, page
    assert all(token[3:] not in str(e.details) for e in AuditEntry.objects.all())
    assert AuditEntry.objects.filter(action="api_token.created").exists()


def test_the_token_works_as_shown(people, login):
    from tests.apitokens.conftest import bearer

    token = shown_token(create(login(people.member)))
    assert bearer(token).get("/api/v1/me").json()["user"]["username"] == "mia"


def test_never_expiring_tokens_are_for_admins_only(people, login):
    response = create(login(people.member), expires="never")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    create(login(people.admin), expires="never")
    assert ApiToken.objects.get().expires_at is None


def test_user_scopes_are_offered_to_user_managers_only(people, login):
    assert "users:manage" not in login(people.member).get(URL).content.decode()
    assert "users:manage" in login(people.user_manager).get(URL).content.decode()
    assert create(login(people.member), scopes=["users:read"]).status_code == 400
    assert not ApiToken.objects.exists()


def test_names_are_unique_per_holder(people, login):
    client = login(people.member)
    create(client)
    assert create(client).status_code == 400
    assert ApiToken.objects.count() == 1


def test_holders_revoke_their_own_and_admins_anyone_s(people, login):
    create(login(people.member))
    row = ApiToken.objects.get()
    # Another user cannot, nor can a user manager.
    for other in (people.outsider, people.user_manager):
        response = login(other).post(f"{URL}revoke/", {"token": row.pk})
        assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert login(people.admin).post(f"{URL}revoke/", {"token": row.pk}).status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert entry.actor == people.admin and entry.details["name"] == "phone"


def test_revocation_by_the_holder(people, login):
    client = login(people.member)
    create(client)
    row = ApiToken.objects.get()
    assert client.post(f"{URL}revoke/", {"token": row.pk}).status_code == 302
    row.refresh_from_db()
    assert row.state == "revoked"
    assert client.post(f"{URL}revoke/", {"token": "x"}).status_code == 400
