"""The users list costs the same number of queries with 10 users as with 10,000."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from groups.models import Group, Membership

pytestmark = pytest.mark.django_db


def seed(total: int, groups: list[Group]) -> None:
    """Brings the number of users to `total`, every other one in a group (bulk inserts)."""
    password = make_password("unused-password-for-bulk-users")
    start = User.objects.count()
    users = User.objects.bulk_create(
        [User(username=f"bulk{i:05d}", password=password, display_name=f"Bulk {i}")
         for i in range(start, total)],
        batch_size=2000,
    )  # fmt: skip
    Membership.objects.bulk_create(
        [
            Membership(user=u, group=groups[(i // 2) % len(groups)])
            for i, u in enumerate(users)
            if i % 2
        ],
        batch_size=2000,
    )


def queries_for(client, url: str) -> tuple[int, str]:
    """Queries of one request with warm caches (grants cached, as on every request but a
    user's first). The fewest of three: another test run sharing the Redis server may flush
    it in between (the suite's fixtures clear the cache), which costs a request its cache."""
    client.get(url)
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    return min(counts), response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/settings/users/",
        "/settings/users/?q=bulk",
        "/settings/users/?group=FAMILY&state=active",
        "/settings/users/?page=3",
    ],
)
def test_users_list_queries_do_not_grow_with_users(people, login, url):
    url = url.replace("FAMILY", str(people.family.pk))
    groups = [people.family, people.managers]
    client = login(people.owner)
    seed(10, groups)
    small, _page = queries_for(client, url)
    seed(10_000, groups)
    large, page = queries_for(client, url)
    assert User.objects.count() == 10_000
    assert small == large, f"{small} queries with 10 users, {large} with 10,000"
    assert large <= 8
    assert "bulk" in page


def test_query_count_is_the_same_for_a_user_manager(people, login):
    client = login(people.user_manager)
    seed(10, [people.family])
    small, _ = queries_for(client, "/settings/users/")
    seed(2_000, [people.family])
    large, _ = queries_for(client, "/settings/users/")
    assert small == large


def test_invites_list_queries_do_not_grow_with_invites_or_their_creators(people, login):
    """Whether each invite is still usable (its creator's rights as they are now) is read for
    the whole page at once: one invite by one creator costs what a full page of invites by as
    many creators, some of them no longer allowed to make theirs, costs."""
    from invites.models import Invite
    from invites.tokens import new_token

    kids = Group.objects.create(name="kids", position=20)

    def invite(creator, *groups) -> None:
        made = Invite.objects.create(token_hash=new_token()[1], creator=creator)
        made.default_groups.set(groups)

    client = login(people.owner)
    invite(people.user_manager, people.family)
    small, page = queries_for(client, "/settings/invites/")
    assert ">Active</span>" in page
    creators = User.objects.bulk_create(User(username=f"maker{i:02d}") for i in range(60))
    Membership.objects.bulk_create(Membership(user=u, group=people.managers) for u in creators[::2])
    for creator in creators:
        invite(creator, kids, people.family)
    large, page = queries_for(client, "/settings/invites/")
    assert small == large, f"{small} queries with 1 invite, {large} with a page of 50"
    assert page.count(">Not usable</span>") == 25 and page.count(">Active</span>") == 25
