"""Querysets compiled once (homeportal/compiled.py) answer what the queryset answers: the same
objects with the same fields, related objects and annotations, or the same rows; each shape is
compiled once; a builder whose values do not reach the SQL as parameters is refused."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from apitokens.models import ApiToken
from boards.models import Board, Item, Section
from homeportal.changes import count_annotations
from homeportal.compiled import CompiledQuery
from sessions_admin.models import UserSession, hash_session_key
from tests.boards.factories import add_item, add_section, make_board

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


@pytest.fixture
def boards(people):
    made = []
    for n, name in enumerate(("lab", "media", "kitchen")):
        board = make_board(name, people.owner if n else people.member, title=name.title())
        area = add_section(board, "area", "", 0)
        for k in range(n + 1):
            add_item(area, "notes", box=(k * 2, 0, 2, 1), text=f"note {k}")
        made.append(board)
    return made


def test_objects_with_related_objects_and_annotations_are_the_orm_s(boards):
    built = []

    def build(name):
        built.append(name)
        return (
            Board.objects.select_related("owner")
            .annotate(owner_name=F("owner__username"), widgets=Count("items"))
            .filter(name=name)
        )

    query = CompiledQuery(build)
    for board in boards:
        found = query.first(board.name)
        expected = build(board.name).get()
        assert fields_of(found) == fields_of(expected)
        assert found.owner_name == expected.owner_name and found.widgets == expected.widgets
        assert fields_of(found.owner) == fields_of(expected.owner)  # select_related filled in
    assert query.first("nothing-of-that-name") is None
    assert len([b for b in built if b.startswith("\x00")]) == 1  # compiled once, then reused


def test_rows_are_the_orm_s_with_or_without_conversion(boards):
    query = CompiledQuery(
        lambda board_id: (
            Item.objects.filter(board_id=board_id)
            .order_by("x", "id")
            .values_list("id", "options", "x")
        )
    )
    for board in boards:
        orm = list(
            Item.objects.filter(board_id=board.id)
            .order_by("x", "id")
            .values_list("id", "options", "x")
        )
        assert query.rows(board.id) == orm
        raw = query.rows(board.id, convert=False)
        assert [(i, x) for i, _text, x in raw] == [(i, x) for i, _o, x in orm]
        assert all(isinstance(text, str) for _i, text, _x in raw)  # the stored JSON text


def test_a_number_becomes_a_parameter_too(boards):
    query = CompiledQuery(lambda board_id: Section.objects.filter(board_id=board_id))
    for board in boards:
        assert [s.pk for s in query.all(board.pk)] == [s.pk for s in board.sections.all()]


def test_shapes_are_compiled_apart(boards):
    query = CompiledQuery(lambda *names: Board.objects.filter(name__in=names).order_by("name"))
    assert [b.name for b in query.all("lab", shape=1)] == ["lab"]
    assert [b.name for b in query.all("lab", "media", shape=2)] == ["lab", "media"]
    assert [b.name for b in query.all("kitchen", shape=1)] == ["kitchen"]


def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused(boards):
    """`icontains` turns the value into a pattern: the compiled SQL could never take the
    caller's value in its place."""
    query = CompiledQuery(lambda name: Board.objects.filter(name__icontains=name))
    with pytest.raises(ValueError, match="did not reach the SQL"):
        query.all("la")


def test_values_list_queries_give_rows_not_objects(boards):
    query = CompiledQuery(lambda name: Board.objects.filter(name=name).values_list("id"))
    with pytest.raises(TypeError):
        query.all("lab")


def test_the_token_lookup_is_the_orm_s(people):
    row, token = ApiToken.create(
        people.member, name="script", scopes=["boards:read"], lifetime=None
    )
    from apitokens.models import by_token

    found = by_token(token)
    assert found.pk == row.pk and found.user.pk == people.member.pk
    expected = ApiToken.objects.annotate(**count_annotations()).get(pk=row.pk)
    assert fields_of(found) == fields_of(expected)
    assert found.count_groups == expected.count_groups is not None  # the groups were written
    assert by_token(token + "x") is None


def test_the_session_lookup_is_the_orm_s_and_an_expired_session_is_none(people, login):
    from sessions_admin.engine import SessionStore

    client = login(people.member)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(key)
    found = store._get_session_from_db()
    expected = UserSession.objects.annotate(**count_annotations()).get(
        session_key=hash_session_key(key)
    )
    assert fields_of(found) == fields_of(expected) and found.user_id == people.member.pk
    UserSession.objects.filter(pk=expected.pk).update(expire_date=timezone.now())
    assert SessionStore(key)._get_session_from_db() is None
    assert SessionStore(key).load() == {}


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_on_postgresql_a_lookup_is_prepared_once_per_connection_and_the_orm_s_are_not(boards):
    query = CompiledQuery(lambda name: Board.objects.filter(name=name))
    before = prepared_statements()
    assert [b.name for b in query.all("lab")] == ["lab"]
    assert [b.name for b in query.all("media")] == ["media"]
    assert query.first("nothing") is None
    assert list(Board.objects.filter(name="kitchen")) == [boards[2]]  # the ORM's own query
    added = [s for s in prepared_statements() if s not in before]
    # One statement with its value as a parameter, run three times; the ORM's query is not
    # among them (its values were bound on the client).
    assert len(added) == 1 and '"boards_board"."name" = $1' in added[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_without_prepared_statements_nothing_is_prepared(boards, monkeypatch):
    options = {**connection.settings_dict["OPTIONS"]}
    options.pop("prepare_threshold", None)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    query = CompiledQuery(lambda name: Board.objects.filter(name=name))
    before = prepared_statements()
    assert [b.name for b in query.all("lab")] == ["lab"]
    assert prepared_statements() == before


def test_the_session_s_user_is_the_orm_s_and_only_when_active(people):
    from accounts.backends import CredentialsBackend
    from accounts.models import User
    from accounts.providers.base import ExternalBackend

    for backend in (CredentialsBackend(), ExternalBackend()):
        found = backend.get_user(people.member.pk)
        assert fields_of(found) == fields_of(User.objects.get(pk=people.member.pk))
        assert fields_of(backend.get_user(str(people.member.pk))) == fields_of(found)
        for stranger in (0, -1, 2**63, 10**6, "x", "", None, 1.5, True):
            assert backend.get_user(stranger) is None, stranger
    User.objects.filter(pk=people.member.pk).update(is_active=False)
    assert CredentialsBackend().get_user(people.member.pk) is None
    assert ExternalBackend().get_user(people.member.pk) is None
