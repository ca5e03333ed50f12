"""The board page's body is rendered once per board version and shared by every viewer: each
write path names a new body, and what differs per viewer (collapsed categories, the toolbar
for their level, live data) never comes from the shared copy."""

import json
import pickle
import re
import time

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

from boards import ping
from boards.models import Board, CollapsedSection, Item, Section
from boards.render import board_body, body_key, load_sections
from homeportal import shared_fetch
from tests.boards.factories import OPTIONS, add_item, add_section, grant, make_board
from tests.conftest import clear_process_caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(people):
    board = make_board("lab", people.owner, title="Lab")
    grant(board, "view", group=people.everyone)
    grant(board, "modify", user=people.member)
    category = add_section(board, "category", "Media", 0)
    add_item(category, "app", name="Jellyfin")
    area = add_section(board, "area", "", 1)
    add_item(area, "notes", text="Backups run at night")
    return board


def page(client, name="lab") -> str:
    response = client.get(f"/boards/{name}/")
    assert response.status_code == 200
    return response.content.decode()


def cached_bodies() -> int:
    """How many board bodies the shared cache holds right now (locmem or Redis)."""
    default = caches["default"]
    if isinstance(default, RedisCache):
        client = default._cache.get_client(None, write=False)
        return len(client.keys(f"{default.key_prefix}:*board-body:*"))
    return sum(1 for key in default._cache if ":board-body:" in key)


def test_the_second_view_is_served_from_the_cached_body(lab, people, login):
    client = login(people.outsider)
    page(client)
    key = body_key(Board.objects.get(pk=lab.pk))
    assert cache.get(key) is not None
    Item.objects.filter(board=lab).update(options={**OPTIONS["notes"], "text": "not seen"})
    assert "Backups run at night" in page(client)  # a raw update bypasses every write path


def test_editor_save_names_a_new_body(lab, people, login):
    editor = login(people.member)
    assert "Jellyfin" in page(editor)
    from boards.layout import state

    data = state(lab, load_sections(lab))
    data["sections"][0]["items"][0]["options"]["name"] = "Plex"
    response = editor.post("/boards/lab/save/", {"state": json.dumps(data)})
    assert response.status_code == 200, response.content
    body = page(login(people.outsider))
    assert "Plex" in body and "Jellyfin" not in body


def test_look_and_general_settings_name_a_new_body(lab, people, login):
    owner = login(people.owner)
    page(owner)
    response = owner.post(
        "/boards/lab/settings/",
        {"description": "", "color_scheme": "dark", "accent_color": "#ff0000",
         "background_url": "", "columns": "8"},
    )  # fmt: skip
    assert response.status_code == 302
    body = page(login(people.outsider))
    assert "--accent:#ff0000" in body and "repeat(8," in body
    response = owner.post("/boards/lab/general/", {"title": "Lab", "name": "den", "is_public": ""})
    assert response.status_code == 302
    body = page(login(people.outsider), "den")
    assert "/boards/den/sections/" in page(login(people.member), "den")
    assert "/boards/lab/" not in body


def test_items_and_sections_changed_or_deleted_by_any_path_name_a_new_body(lab, people, login):
    viewer = login(people.outsider)
    page(viewer)
    item = Item.objects.get(board=lab, kind="notes")
    item.options = {
        **item.options,
        "text": "Changed through the ORM",
        "html": "<p>Changed through the ORM</p>",
    }
    item.save()
    assert "Changed through the ORM" in page(viewer)
    Section.objects.get(board=lab, kind="category").delete()  # its items go with it
    body = page(viewer)
    assert "Jellyfin" not in body and "Changed through the ORM" in body
    Item.objects.filter(board=lab).delete()
    assert "Changed through the ORM" not in page(viewer)


def test_a_deleted_and_recreated_board_never_shows_the_old_body(lab, people, login):
    owner = login(people.owner)
    page(owner)
    assert owner.post("/boards/lab/delete/").status_code == 302
    board = make_board("lab", people.owner)
    grant(board, "view", group=people.everyone)
    add_item(add_section(board), "notes", text="A new board")
    body = page(login(people.outsider))
    assert "A new board" in body and "Jellyfin" not in body


def test_imported_and_duplicated_boards_get_their_own_body(lab, people, login):
    owner = login(people.owner)
    page(owner)
    response = owner.post("/boards/lab/duplicate/", {"name": "lab-copy", "title": "Copy"})
    assert response.status_code == 302
    item = Item.objects.get(board__name="lab-copy", kind="notes")
    item.options = {**item.options, "text": "Only on the copy", "html": "<p>Only on the copy</p>"}
    item.save()
    assert "Only on the copy" in page(owner, "lab-copy")
    assert "Only on the copy" not in page(owner, "lab")


def test_collapsed_categories_are_the_viewers_own(lab, people, login):
    category = Section.objects.get(board=lab, kind="category")
    CollapsedSection.objects.create(user=people.member, section=category)
    opening = f'id="section-{category.pk}"'
    member, outsider = login(people.member), login(people.outsider)
    for _ in range(2):  # first view and cached body, in both orders
        assert page(member).split(opening)[1].startswith(" data-collapse-url")
        assert page(outsider).split(opening)[1].startswith(" open data-collapse-url")
        clear_process_caches()
        assert page(outsider).split(opening)[1].startswith(" open data-collapse-url")
        assert page(member).split(opening)[1].startswith(" data-collapse-url")
        clear_process_caches()


def test_collapsed_categories_come_with_the_board_for_members_and_admins(lab, people, login):
    """The board page reads the viewer's collapsed categories in the board's own query
    (boards.render.with_collapsed), for a member (level from ACL rows) and an admin (level
    from a global permission) alike: no round trip of their own, and never someone else's."""
    media = Section.objects.get(board=lab, kind="category")
    games = add_section(lab, "category", "Games", 2)
    member, admin = login(people.member), login(people.admin)
    opening = {section: f'id="section-{section.pk}"' for section in (media, games)}

    def is_open(client, section) -> bool:
        return page(client).split(opening[section])[1].startswith(" open")

    page(member), page(admin)  # bodies and frames kept
    CollapsedSection.objects.create(user=people.member, section=media)
    CollapsedSection.objects.create(user=people.admin, section=games)
    CollapsedSection.objects.create(user=people.admin, section=media)
    # Written behind the cache's back: the page still shows them at once.
    assert not is_open(member, media) and is_open(member, games)
    assert not is_open(admin, media) and not is_open(admin, games)
    CollapsedSection.objects.filter(user=people.admin, section=media).delete()
    assert is_open(admin, media) and not is_open(admin, games)
    assert not is_open(member, media) and is_open(member, games)


def test_edit_buttons_follow_each_viewers_level_on_a_shared_body(lab, people, login):
    Board.objects.filter(pk=lab.pk).update(is_public=True)
    editor, viewer, anonymous = login(people.member), login(people.outsider), login(None)
    for order in ((editor, viewer, anonymous), (anonymous, viewer, editor)):
        clear_process_caches()
        bodies = {id(client): page(client) for client in order}
        assert "/boards/lab/edit/" in bodies[id(editor)]
        assert "/boards/lab/edit/" not in bodies[id(viewer)]
        assert "/boards/lab/edit/" not in bodies[id(anonymous)]
        assert "data-collapse-url" not in bodies[id(anonymous)]
        assert "data-collapse-url" in bodies[id(viewer)]
        assert "Log in" in bodies[id(anonymous)] and "Log in" not in bodies[id(editor)]


def test_live_data_is_fresh_on_every_view_of_a_cached_body(lab, people, login):
    item = Item.objects.get(board=lab, kind="app")
    item.options = {**item.options, "ping": True, "url": "http://127.0.0.1:9/"}
    item.save()
    viewer = login(people.outsider)

    def remembered(status):  # as the status ping stores it (homeportal.shared_fetch)
        entry = shared_fetch.Entry(at=time.time(), ttl=60, ok=True, value=status)
        cache.set(ping._key("http://127.0.0.1:9/"), entry.as_dict())

    remembered(ping.UP)
    assert "status-up" in page(viewer)
    remembered(ping.DOWN)
    body = page(viewer)
    assert "status-down" in body and "status-up" not in body
    clock = add_item(Section.objects.get(board=lab, kind="area"), "clock")
    body = page(viewer)
    assert 'class="clock-time" datetime="' in body
    assert f'id="item-{clock.pk}"' in body


def test_content_security_policy_travels_with_the_cached_body(lab, people, login):
    add_item(Section.objects.get(board=lab, kind="area"), "iframe")
    viewer = login(people.outsider)
    for _ in range(2):  # rendered, then from the cache
        policy = viewer.get("/boards/lab/").headers["Content-Security-Policy"]
        assert "frame-src https://grafana.example.org" in policy


def test_one_body_per_board_version_whoever_views_it(lab, people, login):
    Board.objects.filter(pk=lab.pk).update(is_public=True)
    clear_process_caches()
    for user in (people.owner, people.member, people.outsider, None):
        page(login(user))
    assert cached_bodies() == 1


def test_a_change_seen_through_one_cache_client_is_seen_through_another(lab, people, tmp_path):
    """Two server processes: the body's name comes from the database row, so the process that
    did not make the change never serves the old body either."""
    default = caches["default"]
    if isinstance(default, RedisCache):
        process_a = default  # and a second client of the same Redis, as two servers share it
        process_b = RedisCache(default._servers[0], {"KEY_PREFIX": default.key_prefix})
    else:
        process_a, process_b = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    board_body(Board.objects.get(pk=lab.pk), None, process_a)
    assert (
        board_body(Board.objects.get(pk=lab.pk), None, process_b).parts
        == board_body(Board.objects.get(pk=lab.pk), None, process_a).parts
    )
    item = Item.objects.get(board=lab, kind="notes")
    item.options = {**item.options, "text": "Seen everywhere", "html": "<p>Seen everywhere</p>"}
    item.save()  # through process A
    assert "Seen everywhere" in "".join(
        p for p in board_body(Board.objects.get(pk=lab.pk), None, process_b).parts if type(p) is str
    )


def test_the_body_reads_the_sections_and_items_the_orm_reads(lab, people):
    """The body's sections and items are read in one query on the database cursor
    (boards.render.load_body_sections): the same sections, items, order and decoded options
    as the ORM's two queries (load_sections), for options JSON holds in every shape, with a
    section without items, and without an item whose row names another board."""
    from boards.render import ITEM_FIELDS, load_body_sections

    area = lab.sections.get(kind="area")
    add_item(area, "app", box=(4, 0, 2, 1), name='Ünïcödé ✓ "quoted" <b>', url="https://a.b/")
    add_item(area, "bookmarks", box=(0, 3, 2, 2), links=[{"name": "x", "url": "https://x/"}])
    Item.objects.filter(board=lab, kind="notes").update(
        options={"text": "", "html": None, "n": 1.5}
    )
    add_section(lab, "area", "Empty", 5)
    add_section(lab, "category", "Before the rest", 0)  # same position as Media: by id then
    stray = add_item(area, "app", box=(8, 0, 2, 1), name="Stray")
    Item.objects.filter(pk=stray.pk).update(board=make_board("elsewhere", people.owner))

    def described(sections):
        return [
            (s.id, s.kind, s.title, s.position,
             [tuple(getattr(i, f) for f in ITEM_FIELDS) for i in s.item_list])
            for s in sections
        ]  # fmt: skip

    orm = load_sections(Board.objects.get(pk=lab.pk))
    body = load_body_sections(Board.objects.get(pk=lab.pk))
    assert described(body) == described(orm)
    assert [len(s.item_list) for s in body] == [1, 0, 3, 0]
    assert "Stray" not in repr(described(body))
    # the options as stored, the text the widget's rendering is keyed by, say the same
    items = [i for s in body for i in s.item_list]
    assert [json.loads(i.options_text) for i in items] == [i.options for i in items]


def test_a_body_is_shared_without_this_process_s_encoding_and_shows_other_alphabets(
    lab, people, login
):
    add_item(add_section(lab, "area", "", 2), "notes", text="Sauvegardes à minuit — ☾ 夜")
    client = login(people.outsider)
    first = page(client)
    assert "Sauvegardes à minuit — ☾ 夜" in first
    board = Board.objects.get(pk=lab.pk)
    body = board_body(board, None)
    body.html(collapsed=set(), remember=True, live={})  # its encoded parts made in this process
    copy = pickle.loads(pickle.dumps(body))
    assert "_encoded" in body.__dict__ and "_encoded" not in copy.__dict__
    assert copy.html(collapsed=set(), remember=True, live={}) == body.html(
        collapsed=set(), remember=True, live={}
    )
    clear_process_caches()  # the next view takes the body from the shared cache
    assert same_page(page(client)) == same_page(first)


def same_page(html: str) -> str:
    """The page without what differs on every response (the nonce, the CSRF token)."""
    html = re.sub(r'nonce="[^"]+"', "nonce", html)
    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": |data-csrf=)"\w+"', r"\1", html)


def test_live_data_keys_keep_values_of_different_types_apart():
    from boards.render import _data_key

    keys = [_data_key({"up": value}) for value in (1, 1.0, True, "1", None)]
    assert len(set(keys)) == len(keys)
    assert _data_key({"a": "x", "b": 2}) == _data_key({"b": 2, "a": "x"})
    assert _data_key({"a": [1, 2]}) == '{"a": [1, 2]}'  # not flat: as JSON
    assert _data_key({"a": [1, 2]}) != _data_key({"a": [1, 2.5]})


def test_a_body_item_takes_each_field_of_its_row_by_name():
    from boards.render import ITEM_FIELDS, BodyItem

    row = tuple(f"value of {name}" for name in ITEM_FIELDS)
    item = BodyItem(board=None, values=row, options_text="{}")  # type: ignore[arg-type]
    expected = dict(zip(ITEM_FIELDS, row, strict=True))
    assert {name: getattr(item, name) for name in ITEM_FIELDS} == expected
    assert item.pk == "value of id" and item.data is None and item.options_text == "{}"


@pytest.mark.django_db
def test_a_widget_body_is_kept_apart_for_live_data_of_different_types(people):
    from boards.render import render_item, rendered_cache

    board = make_board("typed", people.owner)
    item = add_item(add_section(board), "app", name="Typed")
    rendered_cache.clear()
    item.data = {"status": "up", "code": 1}
    first = render_item(item, board)
    item.data = {"status": "up", "code": True}
    render_item(item, board)
    item.data = {"status": "up", "code": 1}
    assert render_item(item, board) is first
    assert len(rendered_cache.entries) == 2
    rendered_cache.clear()


def test_each_category_s_collapse_address_names_its_own_section(people, login):
    """The body builds the collapse addresses from one reversed address: a board named with
    the number that address is built with still names each category's own section."""
    from boards.render import _ANY_SECTION

    board = make_board(str(_ANY_SECTION), people.owner)
    grant(board, "view", group=people.everyone)
    first, second = add_section(board, "category", "A", 0), add_section(board, "category", "B", 1)
    html = page(login(people.outsider), board.name)
    for section in (first, second):
        url = f"/boards/{board.name}/sections/{section.pk}/collapse/"
        assert f'id="section-{section.pk}" open data-collapse-url="{url}"' in html


def test_options_are_decoded_once_per_text_and_as_the_json_field_decodes_them():
    from boards import render

    render._DECODED.clear()
    text = json.dumps({"name": "Jellyfin", "links": [{"url": "https://a.b/"}]})
    first = render.decoded_options(text)
    assert first == json.loads(text)
    assert render.decoded_options(str(text)) is first  # the same text: decoded once
    assert render.decoded_options("not JSON") == "not JSON"  # as Django's JSONField answers
    assert render.decoded_options({"given": 1}) == {"given": 1}  # decoded by the database


def test_the_decoded_options_kept_have_a_bound(monkeypatch):
    from boards import render

    render._DECODED.clear()
    render._decoded_size[0] = 0
    monkeypatch.setattr(render, "DECODED_CHARACTERS", 100)
    texts = [json.dumps({"n": n, "pad": "x" * 20}) for n in range(10)]
    for text in texts:
        assert render.decoded_options(text) == json.loads(text)
        assert render._decoded_size[0] <= 100
        assert sum(len(t) for t in render._DECODED) == render._decoded_size[0]
    assert texts[-1] in render._DECODED and texts[0] not in render._DECODED


def test_an_item_s_kept_piece_of_the_body_follows_everything_it_is_made_of(lab):
    """The body keeps each item's article, style rules and policy sources by the board's name,
    the language, the item's stored row and its data (boards.render._piece): a change to any
    of them makes that piece again, and an unchanged item's piece is the one kept."""
    from django.utils import translation

    from boards.render import _pieces, render_body

    def body(board_name="lab"):
        return render_body(Board.objects.get(name=board_name), None)

    def text(found):
        return "".join(p for p in found.parts if type(p) is str)

    area = lab.sections.get(kind="area")
    frame = add_item(area, "iframe", box=(4, 0, 4, 2), url="https://grafana.example.org/d/x")
    _pieces.clear()
    first = body()
    kept = len(_pieces.entries)
    assert kept == 3 and body().parts == first.parts and len(_pieces.entries) == kept
    assert f"#item-{frame.pk}{{grid-area:1/5/span 2/span 4}}" in first.css
    assert first.csp == {"frame-src": ["https://grafana.example.org"]}
    Item.objects.filter(pk=frame.pk).update(x=6)  # moved: its style rule
    assert f"#item-{frame.pk}{{grid-area:1/7/span 2/span 4}}" in body().css
    Item.objects.filter(pk=frame.pk).update(
        options={**frame.options, "url": "https://dash.example.org/d/x"}
    )  # its options: its article and its policy source
    moved = body()
    assert 'src="https://dash.example.org/d/x"' in text(moved)
    assert moved.csp == {"frame-src": ["https://dash.example.org"]}
    assert 'sandbox="allow-scripts allow-same-origin"' in text(moved)
    Item.objects.filter(pk=frame.pk).update(
        options={**frame.options, "url": "https://dash.example.org/d/x", "allow_scripts": False}
    )  # the loader's data (the frame's sandbox) follows
    assert 'sandbox="allow-same-origin"' in text(body())
    made = len(_pieces.entries)
    Board.objects.filter(pk=lab.pk).update(name="renamed")  # addresses may name the board
    assert body("renamed").parts != moved.parts and len(_pieces.entries) == made + 3
    with translation.override("fr"):
        body("renamed")
    assert len(_pieces.entries) == made + 6  # each item's piece again, in French
    assert body("renamed") and len(_pieces.entries) == made + 6  # then kept
