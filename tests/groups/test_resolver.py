"""The permission resolver: union over groups, implications, everyone, owner, ACL rows filtered
by the current principal, fixed query counts, invalidation across cache clients."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from boards.models import Board, BoardAccess
from groups import resolver
from groups.models import Group, Membership
from groups.resolver import grants_for
from integrations.models import Integration, IntegrationAccess
from tests.conftest import PERSONAS, make_group, make_user

pytestmark = pytest.mark.django_db


def fresh(user):
    return grants_for(user, refresh=True)


def test_permissions_are_the_union_over_groups(people):
    creators = make_group("creators", "board-create")
    auditors = make_group("auditors", "audit-view")
    Membership.objects.create(user=people.member, group=creators)
    Membership.objects.create(user=people.member, group=auditors)
    grants = fresh(people.member)
    assert grants.has("board-create") and grants.has("audit-view")
    assert not grants.has("user-manage")
    assert not fresh(people.outsider).has("board-create")


def test_implications_are_expanded():
    from groups.permissions import expand

    assert expand(["board-full-all"]) == {
        "board-full-all", "board-modify-all", "board-view-all", "board-create",
    }  # fmt: skip
    assert expand(["integration-full-all"]) >= {"integration-use-all", "integration-create"}
    assert "user-manage" in expand(["admin"]) and "audit-view" in expand(["admin"])
    assert expand(["no-such-permission"]) == frozenset()


def test_everyone_group_permissions_reach_every_active_user(people):
    people.everyone.permissions = ["board-create"]
    people.everyone.save()
    assert fresh(people.outsider).has("board-create")
    assert fresh(people.member).has("board-create")
    assert people.everyone.pk in fresh(people.outsider).group_ids


def test_everyone_is_computed_not_stored(people):
    assert not Membership.objects.filter(group=people.everyone).exists()


def test_anonymous_and_disabled_users_hold_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    people.everyone.permissions = ["board-create"]
    people.everyone.save()
    assert not grants_for(AnonymousUser()).has("board-create")
    people.member.is_active = False
    people.member.save()
    assert grants_for(people.member, refresh=True).permissions == frozenset()


def test_admin_implies_full_level_on_every_object(people):
    board = Board.objects.create(name="private", title="Private")
    assert fresh(people.admin).level("board", board) == "full"
    assert fresh(people.member).level("board", board) is None


def test_owner_of_an_object_has_full_level(people):
    board = Board.objects.create(name="mine", title="Mine", owner=people.outsider)
    assert fresh(people.outsider).level("board", board) == "full"
    assert fresh(people.member).level("board", board) is None


def test_level_is_the_maximum_of_user_group_and_everyone_rows(people):
    board = Board.objects.create(name="b", title="B")
    BoardAccess.objects.create(board=board, group=people.everyone, level="view")
    BoardAccess.objects.create(board=board, group=people.family, level="modify")
    BoardAccess.objects.create(board=board, user=people.member, level="view")
    assert fresh(people.member).level("board", board) == "modify"
    assert fresh(people.outsider).level("board", board) == "view"
    BoardAccess.objects.create(board=board, user=people.outsider, level="full")
    assert fresh(people.outsider).level("board", board) == "full"


def test_global_all_permission_gives_its_level(people):
    board = Board.objects.create(name="b", title="B")
    viewers = make_group("viewers", "board-modify-all")
    Membership.objects.create(user=people.outsider, group=viewers)
    grants = fresh(people.outsider)
    assert grants.level("board", board) == "modify"
    assert not grants.can("board", board, "full")


def test_rows_of_other_principals_never_count(people):
    """Homarr's integration middleware leaked `interact` through other users' rows."""
    integration = Integration.objects.create(name="Pi-hole", kind="pihole", url="http://pi.hole")
    IntegrationAccess.objects.create(integration=integration, user=people.member, level="interact")
    IntegrationAccess.objects.create(integration=integration, group=people.admins, level="full")
    assert fresh(people.member).level("integration", integration) == "interact"
    assert fresh(people.outsider).level("integration", integration) is None
    assert fresh(people.user_manager).level("integration", integration) is None


def test_public_board_gives_view_to_anonymous_visitors(people):
    from django.contrib.auth.models import AnonymousUser

    public = Board.objects.create(name="pub", title="Pub", is_public=True)
    private = Board.objects.create(name="priv", title="Priv")
    anonymous = grants_for(AnonymousUser())
    assert anonymous.level("board", public) == "view"
    assert anonymous.level("board", private) is None
    assert list(anonymous.visible("board", Board.objects.all())) == [public]


def test_visible_filters_lists_by_level(people):
    viewable = Board.objects.create(name="v", title="V")
    editable = Board.objects.create(name="e", title="E")
    Board.objects.create(name="hidden", title="Hidden")
    owned = Board.objects.create(name="o", title="O", owner=people.member)
    BoardAccess.objects.create(board=viewable, group=people.family, level="view")
    BoardAccess.objects.create(board=editable, user=people.member, level="modify")
    grants = fresh(people.member)
    assert set(grants.visible("board", Board.objects.all())) == {viewable, editable, owned}
    assert set(grants.visible("board", Board.objects.all(), "modify")) == {editable, owned}
    assert set(fresh(people.admin).visible("board", Board.objects.all())) == set(
        Board.objects.all()
    )


def test_has_perm_goes_through_the_resolver(people):
    board = Board.objects.create(name="b", title="B")
    BoardAccess.objects.create(board=board, group=people.family, level="modify")
    assert people.member.has_perm("boards.modify", board)
    assert not people.member.has_perm("boards.full", board)
    assert not people.outsider.has_perm("boards.view", board)
    assert people.user_manager.has_perm("user-manage")
    assert not people.member.has_perm("user-manage")
    assert not people.member.has_perm("boards.nonsense", board)


def test_grants_are_cached_on_the_user_for_the_request(people, django_assert_num_queries):
    grants_for(people.member, refresh=True)
    with django_assert_num_queries(0):
        grants_for(people.member)


def test_cached_grants_are_reused_across_requests_until_a_change(people, django_assert_num_queries):
    from accounts.models import User

    grants_for(User.objects.get(pk=people.member.pk))
    again = User.objects.get(pk=people.member.pk)
    with django_assert_num_queries(0):
        grants_for(again)
    Membership.objects.create(user=people.member, group=make_group("creators", "board-create"))
    changed = User.objects.get(pk=people.member.pk)
    with django_assert_num_queries(1):
        assert grants_for(changed).has("board-create")


@pytest.mark.parametrize("groups", [1, 50])
def test_query_count_is_fixed_whatever_the_number_of_groups_and_rows(
    people, groups, django_assert_num_queries
):
    """One query to compute grants for 1 group and for 50 groups with 500 ACL rows; one more
    answers every object question about a page of boards."""
    user = make_user("heavy")
    made = Group.objects.bulk_create(
        Group(name=f"g{i:03d}", permissions=["board-create"] if i == 0 else [])
        for i in range(groups)
    )
    Membership.objects.bulk_create(Membership(user=user, group=g) for g in made)
    rows = 500 if groups == 50 else 1
    boards = Board.objects.bulk_create(Board(name=f"b{i}", title=f"B{i}") for i in range(rows))
    BoardAccess.objects.bulk_create(
        BoardAccess(board=b, group=made[i % groups], level="view") for i, b in enumerate(boards)
    )
    with CaptureQueriesContext(connection) as queries:
        grants = resolver.compute(user)
    assert len(queries) == 1
    assert grants.has("board-create")
    assert len(grants.group_ids) == groups + 1  # with everyone
    page = boards[:60]
    with django_assert_num_queries(1):
        grants.prefetch("board", page)
        assert all(grants.can("board", b, "view") for b in page)
        assert not any(grants.can("board", b, "modify") for b in page)


def test_grants_of_many_users_are_read_in_one_query(people, django_assert_num_queries):
    """`compute_many` answers what `compute` answers for each user, in one query."""
    Membership.objects.create(user=people.member, group=make_group("creators", "board-create"))
    people.everyone.permissions = ["integration-create"]
    people.everyone.save()
    users = [people.get(persona) for persona in PERSONAS if persona != "anonymous"]
    with django_assert_num_queries(1):
        many = resolver.compute_many(users)
    assert set(many) == {user.pk for user in users}
    for user in users:
        assert many[user.pk] == resolver.compute(user), user.username
    assert many[people.member.pk].has("board-create") and many[people.owner.pk].is_admin
    assert many[people.outsider.pk].permissions == frozenset({"integration-create"})


def test_cached_grants_do_not_grow_with_acl_rows(people):
    """The cached form holds global permissions and group ids, never one entry per object."""
    import pickle

    user = make_user("heavy")
    Membership.objects.create(user=user, group=people.family)
    before = len(pickle.dumps(resolver.compute(user).as_cached()))
    boards = Board.objects.bulk_create(Board(name=f"b{i}", title=f"B{i}") for i in range(2000))
    BoardAccess.objects.bulk_create(
        BoardAccess(board=b, group=people.family, level="view") for b in boards
    )
    BoardAccess.objects.bulk_create(BoardAccess(board=b, user=user, level="full") for b in boards)
    grants = resolver.compute(user)
    assert len(pickle.dumps(grants.as_cached())) == before
    assert grants.level("board", boards[1234]) == "full"


def test_objects_fetched_with_levels_answer_without_a_query(people, django_assert_num_queries):
    editable = Board.objects.create(name="e", title="E")
    viewable = Board.objects.create(name="v", title="V")
    Board.objects.create(name="hidden", title="Hidden")
    BoardAccess.objects.create(board=editable, user=people.member, level="modify")
    BoardAccess.objects.create(board=viewable, group=people.everyone, level="view")
    grants = fresh(people.member)
    with django_assert_num_queries(1):
        listed = list(grants.visible("board", Board.objects.order_by("name")))
        assert [(b.name, grants.level("board", b)) for b in listed] == [
            ("e", "modify"),
            ("v", "view"),
        ]
    with django_assert_num_queries(1):
        one = grants.annotate("board", Board.objects.all()).get(name="hidden")
        assert grants.level("board", one) is None


def test_levels_read_for_one_user_never_answer_for_another(people):
    """A board fetched with the member's levels, asked about by someone else's grants."""
    board = Board.objects.create(name="b", title="B")
    BoardAccess.objects.create(board=board, user=people.member, level="full")
    fetched = fresh(people.member).annotate("board", Board.objects.all()).get(pk=board.pk)
    assert fresh(people.member).level("board", fetched) == "full"
    assert fresh(people.outsider).level("board", fetched) is None
    assert fresh(people.user_manager).level("board", fetched) is None


def test_acl_row_changes_are_seen_by_the_next_request(people):
    """Object levels are read per request, so a cached set of grants never serves an old row."""
    from accounts.models import User

    board = Board.objects.create(name="b", title="B")
    assert grants_for(User.objects.get(pk=people.outsider.pk)).level("board", board) is None
    BoardAccess.objects.create(board=board, user=people.outsider, level="modify")
    assert grants_for(User.objects.get(pk=people.outsider.pk)).level("board", board) == "modify"


def _second_client(tmp_path):
    """Another process's view of the shared cache: a second client of the same Redis when
    REDIS_URL is set, otherwise two file-based caches on one folder (what separate processes
    sharing a cache see)."""
    default = caches["default"]
    if isinstance(default, RedisCache):
        params = {"KEY_PREFIX": default.key_prefix}
        return default, RedisCache(default._servers[0], params)
    first = FileBasedCache(str(tmp_path), {})
    return first, FileBasedCache(str(tmp_path), {})


def test_a_change_invalidates_grants_for_every_cache_client(people, tmp_path):
    process_a, process_b = _second_client(tmp_path)
    assert process_a is not process_b
    from accounts.models import User

    def load(cache):
        return grants_for(User.objects.get(pk=people.outsider.pk), cache=cache)

    assert not load(process_a).has("board-create")
    assert not load(process_b).has("board-create")  # both have it cached now
    group = make_group("creators", "board-create")
    Membership.objects.create(user=people.outsider, group=group)
    resolver.bump_version(process_a)  # a change seen by process A...
    assert load(process_b).has("board-create")  # ...reaches process B's next request


@pytest.mark.parametrize("everyone_permissions", [[], ["board-full-all"], ["admin"]])
def test_holders_is_the_same_answer_as_grants_asked_the_other_way(people, everyone_permissions):
    from groups.permissions import PERMISSIONS

    Group.objects.filter(is_everyone=True).update(permissions=everyone_permissions)
    make_user("viewer", make_group("viewers", "board-modify-all"))
    make_user("gone", people.admins, is_active=False)
    users = list(User.objects.all())
    for permission in PERMISSIONS:
        holders = set(resolver.holders(permission).values_list("pk", flat=True))
        assert holders == {u.pk for u in users if fresh(u).has(permission)}, permission


def test_holders_counts_disabled_users_only_when_asked(people):
    gone = make_user("gone", people.admins, is_active=False)
    assert gone not in resolver.holders("admin")
    assert gone in resolver.holders("admin", include_inactive=True)
    assert people.member not in resolver.holders("admin", include_inactive=True)


def test_holders_refuses_an_unknown_permission():
    with pytest.raises(ValueError):
        resolver.holders("board-destroy-all")
