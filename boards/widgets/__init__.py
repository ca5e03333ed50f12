"""The widget registry: every kind of widget is one module of this package.

A module declares a `WidgetKind`: its options form (a `WidgetForm`), its template partial, its
default size and, optionally,

- `loader(items, request) -> [data, ...]`: data for every item of this kind on a page (one
  entry per item, in order), in one call, so a board of 60 widgets costs the same number of
  queries as a board of 5;
- `default_size` and `min_size` (columns, rows): where it fits its content at the default
  font size (tests/boards/browser/test_sizes.py checks every kind on a desktop and a phone);
- `suggest(options) -> options`: what the editor's options dialog fills in for the person
  editing (an app's icon from its name), never applied to stored or imported options;
- `refresh(item, request) -> data` with `refresh_seconds`: live data the page asks for again
  with htmx (the app link's status ping);
- `integration`: for integration widgets, the widget name that integration kinds list in their
  `widgets` mapping (boards.widgets.integration); the widget accepts an integration of any kind
  that lists it, and the editor offers only integrations the editing user may `use`;
- `csp_sources(options) -> {directive: [origin, ...]}`: what the page's Content-Security-Policy
  must allow for this item (an iframe's frame source, a search engine's form action);
- `export_exclude`: option names never written to an export (secrets of later widgets).

Items are rendered with the context `item`, `options`, `data`, `board`, `editing`.

On the board page a widget's body is rendered once per board version and shared by every
viewer (boards.render.board_body). What changes from one request to the next (a clock's time,
an app's status) belongs in the template's `live` partial, written where the context's
`live_slot` marker asks for it (`{% if live_slot %}{{ live_slot }}{% else %}{% partial live
%}{% endif %}`): only that partial is rendered per request, with the loader's data of the
moment. Everything else a template shows must depend on the item's options alone.
"""

from boards.widgets import (  # noqa: F401
    app,
    bookmarks,
    clock,
    entities,
    iframe,
    integration,
    metrics,
    notes,
    search,
)
from boards.widgets.base import (
    WidgetForm,
    WidgetKind,
    all_widgets,
    get_widget,
    register,
    title_field,
)

__all__ = ["WidgetForm", "WidgetKind", "all_widgets", "get_widget", "register", "title_field"]
