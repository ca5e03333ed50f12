"""Settings → Groups: create, rename, delete, order, permissions, members, external names."""

import pytest

from boards.models import Board, BoardAccess
from groups.models import Group, Membership
from groups.resolver import grants_for
from integrations.models import Integration, IntegrationAccess
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(group: Group, action: str = "") -> str:
    return f"/settings/groups/{group.pk}/{action + '/' if action else ''}"


def order() -> list[str]:
    return list(Group.objects.regular().order_by("position").values_list("name", flat=True))


def test_list_shows_groups_in_order_and_everyone_last(people, login):
    page = login(people.admin).get("/settings/groups/").content.decode()
    positions = [
        page.index(f">{name}</a>") for name in ("admins", "managers", "family", "everyone")
    ]
    assert positions == sorted(positions)
    assert "all 5 active users" in page


def test_create_group_with_permissions(people, login):
    response = login(people.admin).post(
        "/settings/groups/new/", {"name": "Friends", "permissions": ["board-full-all"]}
    )
    group = Group.objects.get(name="Friends")
    assert response.status_code == 302 and response["Location"] == url(group)
    assert group.permissions == ["board-full-all"]
    assert group.position == 4  # after the others
    entry = AuditEntry.objects.get(action="group.created")
    assert entry.actor == people.admin and entry.details["permissions"] == ["board-full-all"]


def test_create_refuses_a_name_taken_in_another_case_or_reserved(people, login):
    client = login(people.admin)
    assert client.post("/settings/groups/new/", {"name": "FAMILY"}).status_code == 400
    assert client.post("/settings/groups/new/", {"name": "everyone"}).status_code == 400
    assert client.post("/settings/groups/new/", {"name": "a b"}).status_code == 400
    assert Group.objects.count() == 4


def test_create_in_a_modal_redirects_the_whole_page(people, login):
    response = login(people.admin).post("/settings/groups/new/", {"name": "friends"}, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == url(Group.objects.get(name="friends"))


def test_permissions_form_shows_implications(people, login):
    page = login(people.admin).get(url(people.family)).content.decode()
    assert "Also gives: board-create, board-modify-all, board-view-all" in page
    people.family.permissions = ["board-full-all"]
    people.family.save()
    page = login(people.admin).get(url(people.family)).content.decode()
    assert 'class="implied"' in page
    assert "In effect: board-create, board-full-all, board-modify-all, board-view-all" in page


def test_set_permissions_takes_effect_on_the_next_request(people, login):
    assert not grants_for(people.member).has("board-view-all")
    response = login(people.admin).post(
        url(people.family, "permissions"), {"permissions": ["board-view-all"]}
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=people.family.pk).permissions == ["board-view-all"]
    member = type(people.member).objects.get(pk=people.member.pk)
    assert grants_for(member).has("board-view-all")
    entry = AuditEntry.objects.get(action="group.permissions_changed")
    assert entry.details == {"before": [], "after": ["board-view-all"]}


def test_set_permissions_with_htmx_answers_the_section(people, login):
    response = login(people.admin).post(
        url(people.family, "permissions"), {"permissions": ["audit-view"]}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="group-permissions"' in page
    assert "<html" not in page and "Permissions saved" in page


def test_unknown_permission_is_refused(people, login):
    response = login(people.admin).post(url(people.family, "permissions"), {"permissions": ["x"]})
    assert response.status_code == 400
    assert Group.objects.get(pk=people.family.pk).permissions == []


def test_everyone_permissions_are_editable(people, login):
    response = login(people.admin).post(
        url(people.everyone, "permissions"), {"permissions": ["board-view-all"]}
    )
    assert response.status_code == 302
    assert Group.objects.everyone().permissions == ["board-view-all"]
    assert grants_for(people.outsider).has("board-view-all")


def test_everyone_is_never_renamed_deleted_or_mapped(people, login):
    client = login(people.admin)
    page = client.get(url(people.everyone)).content.decode()
    assert "Rename" not in page and "Delete this group" not in page
    response = client.post(url(people.everyone, "rename"), {"name": "all-people"})
    assert response.status_code == 403 and "cannot be renamed" in response.content.decode()
    response = client.post(url(people.everyone, "delete"))
    assert response.status_code == 403 and "cannot be deleted" in response.content.decode()
    response = client.post(url(people.everyone, "external-names"), {"external_names": "all"})
    assert response.status_code == 403
    response = client.post(url(people.everyone, "members/add"), {"username": "mia"})
    assert response.status_code == 403
    everyone = Group.objects.everyone()
    assert everyone.name == "everyone" and everyone.external_names == []
    assert not Membership.objects.filter(group=everyone).exists()


def test_rename(people, login):
    response = login(people.admin).post(url(people.family, "rename"), {"name": "household"})
    assert response.status_code == 302
    assert Group.objects.get(pk=people.family.pk).name == "household"
    assert AuditEntry.objects.get(action="group.renamed").details == {
        "before": "family",
        "after": "household",
    }


def test_rename_to_a_taken_name_is_refused(people, login):
    response = login(people.admin).post(url(people.family, "rename"), {"name": "Managers"})
    assert response.status_code == 400
    assert Group.objects.get(pk=people.family.pk).name == "family"


def test_external_names(people, login):
    response = login(people.admin).post(
        url(people.family, "external-names"),
        {"external_names": "cn=family,ou=groups\n\n  Family-OIDC \ncn=family,ou=groups"},
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=people.family.pk).external_names == [
        "cn=family,ou=groups",
        "Family-OIDC",
    ]
    assert AuditEntry.objects.filter(action="group.external_names_changed").exists()


def test_add_and_remove_members(people, login):
    client = login(people.admin)
    response = client.post(url(people.family, "members/add"), {"username": "OTTO"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=people.outsider, group=people.family).exists()
    response = client.post(url(people.family, "members/remove"), {"user": people.outsider.pk})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=people.outsider, group=people.family).exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "group.member_added" in actions and "group.member_removed" in actions


def test_add_unknown_user(people, login):
    response = login(people.admin).post(url(people.family, "members/add"), {"username": "ghost"})
    assert (
        response.status_code == 400 and "There is no user named ghost." in response.content.decode()
    )


def test_members_with_htmx_answer_the_section(people, login):
    response = login(people.admin).post(
        url(people.family, "members/add"), {"username": "otto"}, headers=HTMX
    )
    page = response.content.decode()
    assert 'id="group-members"' in page and ">otto</a>" in page and "<html" not in page


def test_members_are_paginated(people, login):
    for i in range(60):
        make_user(f"member{i:02d}", people.family)
    client = login(people.admin)
    page = client.get(url(people.family)).content.decode()
    assert "Page 1 of 2" in page
    second = client.get(url(people.family) + "?page=2", headers=HTMX).content.decode()
    assert 'id="group-members"' in second and "<html" not in second


def test_group_page_shows_board_and_integration_rows(people, login):
    board = Board.objects.create(name="media", title="Media wall")
    BoardAccess.objects.create(board=board, group=people.family, level="modify")
    integration = Integration.objects.create(name="Sonarr", kind="sonarr", url="http://s")
    IntegrationAccess.objects.create(integration=integration, group=people.family, level="use")
    other = Board.objects.create(name="secret", title="Secret board")
    BoardAccess.objects.create(board=other, group=people.admins, level="full")
    page = login(people.admin).get(url(people.family)).content.decode()
    assert "Media wall" in page and ">Modify</span>" in page
    assert "Sonarr" in page and ">Use</span>" in page
    assert "Secret board" not in page


def test_group_page_names_the_groups_home_boards(people, login):
    home = Board.objects.create(name="family-home", title="Family home")
    people.family.mobile_home_board = home
    people.family.save()
    page = login(people.admin).get(url(people.family)).content.decode()
    assert "Family home" in page
    assert ">no access rule</span>" in page and ">home board on a phone</span>" in page


def test_delete_group(people, login):
    client = login(people.admin)
    page = client.get(url(people.family, "delete")).content.decode()
    assert "Its 1 member loses what the group gives" in page
    response = client.post(url(people.family, "delete"))
    assert response.status_code == 302 and response["Location"] == "/settings/groups/"
    assert not Group.objects.filter(pk=people.family.pk).exists()
    assert AuditEntry.objects.get(action="group.deleted").details == {"group": "family"}


def test_reorder_with_the_full_order(people, login):
    ids = [people.family.pk, people.admins.pk, people.managers.pk]
    response = login(people.admin).post("/settings/groups/reorder/", {"order": ids})
    assert response.status_code == 302
    assert order() == ["family", "admins", "managers"]
    assert AuditEntry.objects.get(action="group.reordered").details == {
        "order": ["family", "admins", "managers"]
    }


def test_reorder_refuses_a_stale_list(people, login):
    response = login(people.admin).post(
        "/settings/groups/reorder/", {"order": [people.family.pk, people.admins.pk]}
    )
    assert response.status_code == 403 and "changed meanwhile" in response.content.decode()
    assert order() == ["admins", "managers", "family"]


def test_reorder_with_htmx_answers_the_list(people, login):
    ids = [people.managers.pk, people.admins.pk, people.family.pk]
    response = login(people.admin).post("/settings/groups/reorder/", {"order": ids}, headers=HTMX)
    page = response.content.decode()
    assert 'id="group-list"' in page and "<html" not in page
    assert page.index(">managers</a>") < page.index(">admins</a>")


def test_move_up_and_down_without_javascript(people, login):
    client = login(people.admin)
    assert client.post(url(people.family, "move"), {"direction": "up"}).status_code == 302
    assert order() == ["admins", "family", "managers"]
    client.post(url(people.admins, "move"), {"direction": "down"})
    assert order() == ["family", "admins", "managers"]
    client.post(url(people.family, "move"), {"direction": "up"})  # already first
    assert order() == ["family", "admins", "managers"]


def test_user_manager_cannot_reorder(people, login):
    response = login(people.user_manager).post(url(people.family, "move"), {"direction": "up"})
    assert (
        response.status_code == 403
        and "Only admins can change the order" in response.content.decode()
    )
    assert order() == ["admins", "managers", "family"]
    page = login(people.user_manager).get("/settings/groups/").content.decode()
    assert "data-sortable" not in page and "Only admins can change the order" in page


def test_user_manager_manages_non_admin_groups(people, login):
    client = login(people.user_manager)
    assert client.post(url(people.family, "rename"), {"name": "household"}).status_code == 302
    assert client.post(url(people.family, "members/add"), {"username": "otto"}).status_code == 302
    response = client.post(url(people.family, "permissions"), {"permissions": ["user-manage"]})
    assert response.status_code == 302
    assert Group.objects.get(pk=people.family.pk).permissions == ["user-manage"]


def test_user_manager_may_remove_a_permission_they_do_not_hold(people, login):
    people.family.permissions = ["board-view-all"]
    people.family.save()
    response = login(people.user_manager).post(url(people.family, "permissions"), {})
    assert response.status_code == 302
    assert Group.objects.get(pk=people.family.pk).permissions == []


def test_user_manager_sees_admin_groups_read_only(people, login):
    page = login(people.user_manager).get(url(people.admins)).content.decode()
    assert "Only admins can change a group that grants admin." in page
    assert "<fieldset disabled>" in page and "Save permissions" not in page


def test_refusal_with_htmx_goes_to_the_notice_area(people, login):
    response = login(people.user_manager).post(
        url(people.family, "permissions"), {"permissions": ["admin"]}, headers=HTMX
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#admin-notices"
    assert "Only admins can grant admin." in response.content.decode()


def test_locked_permissions_are_marked_for_user_managers(people, login):
    page = login(people.user_manager).get(url(people.family)).content.decode()
    assert 'value="admin" id="perm-admin" disabled' in page
    assert 'value="user-manage" id="perm-user-manage">' in page
    make_group("kids")  # unrelated
