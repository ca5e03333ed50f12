"""Each widget kind: its form's checks, its loader, what it asks of the page's CSP."""

import pytest

from boards.markdown import render_markdown
from boards.models import Item
from boards.render import attach_data, board_csp, board_css
from boards.safety import safe_link, web_origin
from boards.widgets import all_widgets, get_widget
from tests.boards.factories import OPTIONS, add_item, add_section, make_board

HOSTILE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "file:///etc/passwd",
    "//evil.example/x",
    "\\\\evil\\share",
    "http://",
    "https:///path",
]


def form_for(kind: str, **options):
    widget = get_widget(kind)
    return widget.validate({**OPTIONS[kind], **options})


def test_every_kind_has_a_form_a_template_and_valid_defaults():
    assert {w.name for w in all_widgets()} >= {
        "app",
        "bookmarks",
        "clock",
        "notes",
        "iframe",
        "search",
    }
    for widget in all_widgets():
        options, form = widget.validate(OPTIONS[widget.name])
        assert options is not None, (widget.name, form.errors)
        assert widget.template.startswith("boards/widgets/")


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_links_refuse_dangerous_schemes(url):
    assert safe_link(url) == ""
    assert form_for("app", url=url)[0] is None
    assert form_for("app", icon=url)[0] is None
    assert form_for("iframe", url=url)[0] is None
    assert form_for("bookmarks", links=[{"name": "x", "url": url}])[0] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://jellyfin.home.lan",
        "http://192.168.1.10:8096/web",
        "/static/x.png",
        "ssh://nas.home.lan",
        "smb://nas/share",
        "mailto:me@example.org",
    ],
)
def test_links_accept_web_addresses_app_schemes_and_local_paths(url):
    assert safe_link(url) == url
    assert form_for("app", url=url)[0]["url"] == url


def test_app_ping_needs_an_http_address():
    options, form = form_for("app", url="ssh://nas", ping=True, ping_url="")
    assert options is None and "ping_url" in form.errors
    assert form_for("app", url="ssh://nas", ping=True, ping_url="http://nas:5000/")[0]
    assert form_for("app", ping=True, ping_url="ftp://nas/")[0] is None


def test_bookmarks_are_written_one_a_line():
    widget = get_widget("bookmarks")
    form = widget.bound_form(
        {
            "opt-links": "Django | https://djangoproject.com\n\nhttps://htmx.org\n"
            "Bad | javascript:alert(1)"
        }
    )
    assert not form.is_valid()
    assert "Line 4" in str(form.errors["links"])
    form = widget.bound_form({"opt-links": "Django | https://djangoproject.com\nhttps://htmx.org"})
    assert form.is_valid()
    assert form.to_options()["links"] == [
        {"name": "Django", "url": "https://djangoproject.com"},
        {"name": "https://htmx.org", "url": "https://htmx.org"},
    ]
    # Stored links come back as the text the form shows.
    unbound = widget.unbound_form(form.to_options())
    assert "Django | https://djangoproject.com" in str(unbound["links"])


def test_clock_time_zone_must_exist():
    assert form_for("clock", time_zone="Mars/Olympus")[0] is None
    assert form_for("clock", time_zone="America/New_York")[0]["time_zone"] == "America/New_York"


@pytest.mark.django_db
def test_clock_loader_renders_the_time_in_the_zone(people):
    section = add_section(make_board("b", people.owner))
    item = add_item(section, "clock", time_zone="Asia/Tokyo", hour12=True, show_seconds=True)
    attach_data([item], None)
    assert item.data["iso"].endswith("+09:00")
    assert item.data["time"].endswith(("AM", "PM", "a.m.", "p.m."))
    assert item.data["date"]


def test_search_template_needs_one_placeholder_as_a_parameter_value():
    assert form_for("search", engine="https://duckduckgo.com/?q=%s")[0]
    for bad in (
        "https://duckduckgo.com/",
        "https://x.example/search/%s",
        "https://%s.example/?q=1",
        "https://x.example/?q=%s&r=%s",
        "javascript:alert(1)?q=%s",
    ):
        assert form_for("search", engine=bad)[0] is None, bad


@pytest.mark.django_db
def test_search_loader_splits_the_template_into_a_get_form(people):
    section = add_section(make_board("b", people.owner))
    item = add_item(section, "search", engine="https://www.google.com/search?hl=fr&q=%s")
    attach_data([item], None)
    assert item.data == {
        "action": "https://www.google.com/search",
        "hidden": [("hl", "fr")],
        "field": "q",
    }


def test_iframe_height_and_sandbox():
    options, _ = form_for("iframe", height=None)
    assert options["height"] == 0
    assert form_for("iframe", height=5000)[0] is None


@pytest.mark.parametrize(
    ("markdown", "absent", "present"),
    [
        ("<script>alert(1)</script>hi", "<script", "hi"),
        ('<img src="x" onerror="alert(1)">', "onerror", "<img"),
        ("[x](javascript:alert(1))", "javascript", ">x</a>"),
        ('<a href="javascript:alert(1)">x</a>', "javascript", ">x</a>"),
        ('<iframe src="https://evil.example"></iframe>', "iframe", ""),
        ("<style>body{display:none}</style>", "<style", ""),
        ('<form action="https://evil.example"><input name=x></form>', "<form", ""),
        ('<p style="position:fixed">x</p>', "style=", "x"),
        ("**bold** and _it_", "<script", "<strong>bold</strong>"),
        ("[ok](https://example.org)", "javascript", 'rel="noopener noreferrer"'),
    ],
)
def test_markdown_is_sanitised(markdown, absent, present):
    html = render_markdown(markdown)
    assert absent not in html.lower()
    assert present in html


def test_csp_sources_and_origins():
    assert (
        web_origin("https://Grafana.Example.org:3000/d/x?y=1") == "https://grafana.example.org:3000"
    )
    assert web_origin("http://[::1]:8080/") == "http://[::1]:8080"
    assert web_origin("javascript:alert(1)") is None
    assert web_origin("https://a.example;script-src *") is None


@pytest.mark.django_db
def test_board_csp_follows_its_iframes_and_search_boxes(people):
    section = add_section(make_board("b", people.owner))
    items = [
        add_item(section, "iframe", url="https://grafana.example.org/d/1"),
        add_item(section, "iframe", url="http://10.0.0.5:9000/"),
        add_item(section, "search", engine="https://search.example/?q=%s"),
        add_item(section, "app"),
    ]
    csp = board_csp(items)
    assert csp["frame-src"] == ["http://10.0.0.5:9000", "https://grafana.example.org"]
    assert csp["form-action"][1:] == ["https://search.example"]
    assert board_csp([items[3]])["frame-src"] == ["'none'"]


@pytest.mark.django_db
def test_board_style_sheet_writes_only_checked_values(people):
    board = make_board(
        "b",
        people.owner,
        accent_color="#ff0000",
        color_scheme="dark",
        background_url="https://img.example/bg.jpg",
    )
    item = add_item(add_section(board), "app", box=(3, 2, 4, 2), narrow=(0, 5, 4, 2))
    css = board_css(board, [item])
    assert f"#item-{item.pk}{{grid-area:3/4/span 2/span 4}}" in css
    assert f"#item-{item.pk}{{grid-area:6/1/span 2/span 4}}" in css
    assert "--accent:#ff0000" in css and "color-scheme:dark" in css
    assert 'url("https://img.example/bg.jpg")' in css
    Item.objects.all().delete()
    board.accent_color = "red;}</style><script>"
    board.background_url = 'x")}</style>'
    css = board_css(board, [])
    assert "</style>" not in css and "script" not in css and "url(" not in css


@pytest.mark.django_db
def test_rendered_widgets_are_reused_only_for_the_same_inputs(people):
    from boards.render import render_item, rendered_cache

    board = make_board("b", people.owner)
    item = add_item(add_section(board), "app", name="First")
    attach_data([item], None)
    first = render_item(item, board)
    assert "First" in first and render_item(item, board) is first  # kept
    item.options = {**item.options, "name": "Second"}
    assert "Second" in render_item(item, board)
    item.data = {"status": "down"}  # a status check turned on: its data
    item.options["ping"] = True
    down = render_item(item, board)
    assert "status-down" in down and 'hx-get="/boards/b/' in down
    assert "hx-get" not in render_item(item, board, editing=True)
    board.name = "renamed"
    assert 'hx-get="/boards/renamed/' in render_item(item, board)
    rendered_cache.clear()


def test_app_links_carry_data_only_for_their_status_check(people):
    """An app link's template makes its link from the options: only a status check gives it
    data (and an app without one is kept rendered by its options alone)."""
    from boards.widgets import app

    board = make_board("apps", people.owner)
    section = add_section(board)
    plain = add_item(section, "app", name="Plain", url="https://plain.example/")
    pinged = add_item(section, "app", name="Pinged", url="https://up.example/", ping=True)
    assert app.load([plain, pinged], None) == [None, {"status": "unknown"}]
