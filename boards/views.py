import json
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from boards import actions, editing, icons, layout
from boards.access import (
    CREATE,
    can,
    group_board_permission,
    level_of,
    require_admin,
    require_board_create,
    visible_boards,
    with_board,
)
from boards.forms import (
    AccessRowForm,
    BoardCreateForm,
    BoardFilterForm,
    BoardGeneralForm,
    BoardLookForm,
    CollapseForm,
    DetectedTimeZoneForm,
    DuplicateForm,
    GroupHomeBoardForm,
    ImportForm,
    MakeHomeForm,
    PreferencesForm,
    ServerHomeBoardForm,
    WidgetRequestForm,
)
from boards.frame import frame_key, render_page
from boards.home import resolve_home_board
from boards.models import (
    Board,
    CollapsedSection,
    Item,
    Level,
    Section,
    ServerHomeBoard,
    UserPreference,
)
from boards.render import (
    attach_data,
    board_css,
    body_key,
    csp_with,
    live_fragments,
    load_sections,
    page_parts,
    remember_collapsed,
    render_item,
    with_board_csp,
    with_collapsed,
)
from boards.widgets import all_widgets
from groups import access_tab
from groups.decorators import impersonable
from groups.models import Group
from homeportal import changes
from homeportal.forms import save_unique
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from integrations.access import copy_refusals, usable_for_widget
from sessions_admin import audit

GET_POST = ["GET", "POST"]
PAGE_SIZE = 60


def posted(request: Request, files: bool = False):
    """The form data of a POST (even an empty one), None for a GET."""
    data = request.POST if request.method == "POST" else None
    if files:
        return data, (request.FILES if data is not None else None)
    return data


# --- Viewing ---------------------------------------------------------------------------------


@impersonable
@require_safe
def home(request: Request) -> HttpResponse:
    """The start page: the user's home board (boards.home), else their board list."""
    board = resolve_home_board(request)
    if board is not None:
        return render_board(request, board)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render_board_list(request, greeting=True)


@impersonable
@require_safe
# The board, the viewer's level and collapsed categories: kept under the change count.
@with_board(Level.VIEW, for_viewer=with_collapsed, counted=changes.BOARDS)
def board_view(request: Request, board: Board) -> HttpResponse:
    return render_board(request, board)


def render_board(request: Request, board: Board) -> HttpResponse:
    """The board's shared body (boards.render.board_body) with this viewer's bits on top:
    their collapsed categories, the toolbar for their level, the live partials of now."""
    shared = body_key(board)
    body, collapsed = page_parts(board, request, shared)
    grants = request.grants
    html = body.html(
        collapsed=collapsed,
        remember=request.user.is_authenticated,
        live=live_fragments(body, board, request, shared),
    )
    level, can_modify = level_of(grants, board), can(grants, board, Level.MODIFY)
    context = {"board": board, "body": html, "empty": body.empty, "level": level,
               "can_modify": can_modify, "board_css": body.css}  # fmt: skip
    key = frame_key(request, board, level, can_modify, body.empty)
    response = HttpResponse(render_page(request, context, key))
    # What csp_override does, per board: the policy the CSP middleware reads from the response.
    response._csp_config = csp_with(body.csp)  # type: ignore[attr-defined]  # Django's own name
    return response


@impersonable
@require_safe
@with_board(Level.VIEW)
def item_data(request: Request, board: Board, item_id: int) -> HttpResponse:
    """Live data of one widget (an app's status), for the page's htmx polling."""
    item = board.items.filter(pk=item_id).first()
    widget = item.widget if item is not None else None
    if item is None or widget is None or widget.refresh is None:
        raise Http404
    context = {"board": board, "item": item, "options": item.options,
               "data": widget.refresh(item, request), "editing": False}  # fmt: skip
    return render(request, f"{widget.template}#live", context)


@impersonable
@require_POST
@with_board(Level.VIEW)
def item_action(request: Request, board: Board, item_id: int, action: str) -> HttpResponse:
    """Runs an integration action from a widget: needs view on the board (to reach the item)
    and the viewer's own level on the integration that the action asks for; audited
    (boards.actions, shared with the API)."""
    found = actions.find_action(board, item_id, action)
    if not request.user.is_authenticated:
        return redirect_to_login(board.get_absolute_url())
    try:
        _params, problem = actions.perform(request, board, found, request.POST)
    except actions.BadParams:
        return HttpResponse(_("The action's parameters are not understood."), status=400)
    if not request.htmx:
        if problem:
            messages.error(request, problem)
        return redirect(board)
    item, widget = found.item, found.widget
    data = found.refresh(item, request)
    if problem:
        data["action_problem"] = problem
    context = {"board": board, "item": item, "options": item.options, "data": data,
               "editing": False}  # fmt: skip
    return render(request, f"{widget.template}#live", context)


@require_POST
@with_board(Level.VIEW)
def section_collapse(request: Request, board: Board, section_id: int) -> HttpResponse:
    """Remembers that this user collapsed (or opened) a category, for them alone."""
    if not request.user.is_authenticated:
        return redirect_to_login(board.get_absolute_url())
    section = get_object_or_404(Section, pk=section_id, board=board, kind="category")
    form = CollapseForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    if form.cleaned_data["collapsed"]:
        CollapsedSection.objects.get_or_create(user=request.user, section=section)
    else:
        CollapsedSection.objects.filter(user=request.user, section=section).delete()
    remember_collapsed(request.user, board)
    if request.htmx or request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect(board)


@impersonable
@require_safe
@login_required
def board_list(request: AuthenticatedRequest) -> HttpResponse:
    return render_board_list(request)


def render_board_list(request: Request, greeting: bool = False) -> HttpResponse:
    grants = request.grants
    form = BoardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    boards = visible_boards(grants, data.get("level") or None).select_related("owner")
    if data.get("q"):
        query = data["q"]
        boards = boards.filter(
            Q(title__icontains=query) | Q(name__icontains=query) | Q(description__icontains=query)
        )
    if data.get("visibility"):
        boards = boards.filter(is_public=data["visibility"] == "public")
    if data.get("mine"):
        boards = boards.filter(owner=request.user)
    page = Paginator(boards.order_by("title", "name"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(board, level_of(grants, board)) for board in page]
    context = {"form": form, "page": page, "rows": rows, "can_create": grants.has(CREATE),
               "greeting": greeting}  # fmt: skip
    template = "boards/list.html#results" if request.htmx else "boards/list.html"
    return render(request, template, context)


# --- Creating, importing, duplicating, deleting ----------------------------------------------


@impersonable
@require_http_methods(GET_POST)
@require_board_create
def board_create(request: AuthenticatedRequest) -> HttpResponse:
    form = BoardCreateForm(posted(request))
    created = None
    if request.method == "POST" and form.is_valid():
        created = editing.create_board(request, form)
    if created is not None:
        board, became_home = created
        messages.success(request, _("Board created. Add widgets to it."))
        if became_home:
            messages.info(request, _(
                "It is also the start page for everybody who can see it, as the server had no "
                "home board yet. Change that under Settings → Home boards."))  # fmt: skip
        return redirect("boards:edit", board.name)
    return render(request, "boards/create.html", {"form": form})


@impersonable
@require_http_methods(GET_POST)
@require_board_create
def board_import(request: AuthenticatedRequest) -> HttpResponse:
    form = ImportForm(*posted(request, files=True), grants=request.grants)
    board = None
    if request.method == "POST" and form.is_valid():
        parsed = form.layout
        assert parsed is not None  # a valid form has read its file

        def create() -> Board:
            board = Board.objects.create(
                name=form.cleaned_data["name"], title=form.cleaned_data["title"],
                owner=request.user, **form.board_fields,
            )  # fmt: skip
            layout.apply_layout(board, parsed)
            return board

        board = save_unique(form, create, **editing.name_taken(form.cleaned_data["name"]))
    if board is not None:
        audit.record("board.imported", actor=request.user, target=board, ip=client_ip(request),
                     details={"name": board.name})  # fmt: skip
        messages.success(request, _("Board imported."))
        return redirect(board)
    return render(request, "boards/import.html", {"form": form}, status=400 if form.errors else 200)


@impersonable
@require_http_methods(GET_POST)
@with_board(Level.MODIFY)
@require_board_create
def board_duplicate(request: AuthenticatedRequest, board: Board) -> HttpResponse:
    initial = {"title": (_("Copy of %(title)s") % {"title": board.title})[:120]}
    form = DuplicateForm(posted(request), initial=initial)
    copy = None
    if request.method == "POST" and form.is_valid():
        refusals = copy_refusals(request.grants, board.items.all())
        if refusals:
            for refusal in refusals:
                form.add_error(None, refusal)
            context = settings_context(request, board, form=form)
            return render(request, "boards/duplicate.html", context, status=400)

        def create() -> Board:
            copy = Board.objects.create(
                name=form.cleaned_data["name"], title=form.cleaned_data["title"],
                description=board.description, color_scheme=board.color_scheme,
                accent_color=board.accent_color, background_url=board.background_url,
                columns=board.columns, narrow_custom=board.narrow_custom, owner=request.user,
            )  # fmt: skip
            layout.copy_layout(board, copy)
            return copy

        copy = save_unique(form, create, **editing.name_taken(form.cleaned_data["name"]))
    if copy is not None:
        audit.record("board.duplicated", actor=request.user, target=copy, ip=client_ip(request),
                     details={"from": board.name})  # fmt: skip
        messages.success(request, _("Board duplicated. Its access rules start empty."))
        return redirect(copy)
    return render(request, "boards/duplicate.html", settings_context(request, board, form=form))


@impersonable
@require_http_methods(GET_POST)
@with_board(Level.FULL)
def board_delete(request: Request, board: Board) -> HttpResponse:
    if request.method == "POST":
        editing.delete_board(request, board)
        messages.success(request, _("Board “%(title)s” deleted.") % {"title": board.title})
        return redirect("boards:list")
    return render(request, "boards/delete.html", settings_context(request, board))


@impersonable
@require_safe
@with_board(Level.MODIFY)
def board_export(request: Request, board: Board) -> HttpResponse:
    """The board's layout, look and widget options as JSON: never ACL rows or secrets."""
    data = layout.export_board(board)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="board-{board.name}.json"'
    return response


# --- Editing ---------------------------------------------------------------------------------


def widget_kinds(request) -> list[dict]:
    """The kinds the editor offers: integration widgets only when the user may `use` an
    integration that feeds them."""
    return [
        {
            "name": w.name,
            "label": str(w.label),
            "description": str(w.description),
            "size": list(w.default_size),
            "min": list(w.min_size),
        }
        for w in all_widgets()
        if w.integration is None or usable_for_widget(request.grants, w)
    ]


def editor_text() -> dict[str, str]:
    return {
        "area": _("Area"),
        "categoryTitle": _("Category title"),
        "moveUp": _("Move section up"),
        "moveDown": _("Move section down"),
        "removeSection": _("Remove section"),
        "confirmRemoveSection": _("Remove this section and its widgets?"),
        "move": _("Move"),
        "options": _("Options"),
        "remove": _("Remove"),
        "resize": _("Resize"),
        "saved": _("Saved."),
        "saving": _("Saving…"),
        "unsaved": _("Unsaved changes."),
        "undone": _("Undone."),
        "failed": _("Could not reach the server. Nothing was saved."),
        "noSection": _("Add a section first."),
        "empty": _("Empty: add a widget here."),
        "widget": _("Widget"),
        "tidied": _("Tidied: every gap is closed."),
        "phoneMode": _(
            "This is the phone layout, as this screen is narrow. Desktop, above, switches to "
            "the layout of wide screens."
        ),
    }


@impersonable
@require_safe
@never_cache
@with_board(Level.MODIFY)
def board_edit(request: Request, board: Board) -> HttpResponse:
    sections = load_sections(board)
    items = [item for section in sections for item in section.item_list]
    attach_data(items, request)
    state = layout.state(board, sections)
    language = get_language()
    bodies = {item.pk: render_item(item, board, editing=True, language=language) for item in items}
    for section in state["sections"]:
        for item in section["items"]:
            item["html"] = bodies[item["id"]]
    context = {
        **settings_context(request, board),
        "state": state,
        "kinds": widget_kinds(request),
        "editor_text": editor_text(),
        "sections": sections,
        "board_css": board_css(board, []),
        "editor_urls": {
            "save": reverse("boards:save", args=[board.name]),
            "widget": reverse("boards:widget_form", args=[board.name]),
            "board": board.get_absolute_url(),
            # The status address of item 0, for the editor to ask about its saved apps.
            "item_data": reverse("boards:item_data", args=[board.name, 0]),
        },
    }
    return with_board_csp(render(request, "boards/edit.html", context), [])


@impersonable
@require_POST
@with_board(Level.MODIFY)
def board_save(request: Request, board: Board) -> HttpResponse:
    """Saves the editor's whole layout at once, or changes nothing and says why."""
    try:
        board, saved = editing.save_layout(board, request.POST, request.grants)
    except editing.LayoutRefused as refused:
        return JsonResponse(
            {"ok": False, "errors": refused.errors}, status=409 if refused.conflict else 400
        )
    state = {"sections": saved, "narrow_custom": board.narrow_custom}
    return JsonResponse({"ok": True, "version": board.version, "state": state})


@impersonable
@require_POST
@with_board(Level.MODIFY)
def widget_form(request: Request, board: Board) -> HttpResponse:
    """The options dialog of the editor: answers the form (`load`), or checks the options
    posted and answers them cleaned with the widget's preview. Saves nothing: the editor's
    Save does, after checking everything again."""
    request_form = WidgetRequestForm(request.POST)
    if not request_form.is_valid():
        return JsonResponse({"ok": False, "errors": request_form.errors}, status=400)
    widget = request_form.cleaned_data["kind"]
    extra = {}
    if widget.integration:
        extra["integrations"] = usable_for_widget(request.grants, widget)
        if not extra["integrations"]:
            return JsonResponse({"ok": False, "errors": {"kind": [_("Unknown widget.")]}},
                                status=400)  # fmt: skip
    if widget.form_choices is not None:
        extra.update(widget.form_choices(request.grants))
    if request_form.cleaned_data["load"]:
        form = widget.unbound_form(request_form.cleaned_data["options"], **extra)
    else:
        form = widget.bound_form(request.POST, **extra)
        if form.is_valid():
            options = form.to_options()
            if widget.suggest is not None:
                options = widget.suggest(options)
            item = Item(board=board, kind=widget.name, options=options)
            attach_data([item], request)
            html = render_item(item, board, editing=True)
            return JsonResponse({"ok": True, "options": item.options, "html": html})
    html = render_to_string("boards/widget_form.html", {"form": form, "widget": widget}, request)
    return JsonResponse({"ok": False, "form": html}, status=200 if form.is_bound is False else 422)


class IconSearchForm(forms.Form):
    icon_q = forms.CharField(max_length=60, required=False)


@require_safe
@login_required
def icon_search(request: AuthenticatedRequest) -> HttpResponse:
    """The icon picker's results: uploaded icons, then bundled brand icons, whose name
    contains the query."""
    from boards.icon_views import uploaded_matches

    form = IconSearchForm(request.GET)
    query = form.cleaned_data["icon_q"].strip() if form.is_valid() else ""
    found = uploaded_matches(query, limit=8) if query else []
    found += icons.search(query, limit=24 - len(found))
    return render(request, "boards/icon_results.html", {"icons": found, "query": query})


# --- Settings pages --------------------------------------------------------------------------


def settings_context(request, board: Board, **extra) -> dict:
    grants = request.grants
    return {
        "board": board,
        "level": level_of(grants, board),
        "can_modify": can(grants, board, Level.MODIFY),
        "can_full": can(grants, board, Level.FULL),
        "can_create": grants.has(CREATE),
        **extra,
    }


@impersonable
@require_http_methods(GET_POST)
@with_board(Level.MODIFY)
def board_settings(request: Request, board: Board) -> HttpResponse:
    """Description and look (`modify`)."""
    columns_before = board.columns
    form = BoardLookForm(posted(request), instance=board)
    if request.method == "POST" and form.is_valid():
        board = form.save()
        if board.columns != columns_before:
            layout.refit_columns(board, columns_before)
        messages.success(request, _("Saved."))
        return redirect("boards:settings", board.name)
    context = settings_context(request, board, form=form, tab="look")
    return render(request, "boards/settings.html", context, status=400 if form.errors else 200)


def _make_home_form(request: Request, data=None) -> MakeHomeForm | None:
    """Admins only: the "make this the home board for…" form of a board's settings."""
    if not request.grants.is_admin:
        return None
    return MakeHomeForm(data, groups=Group.objects.order_by("is_everyone", "position", "name"))


@require_POST
@with_board(Level.VIEW)
@require_admin
def board_make_home(request: AuthenticatedRequest, board: Board) -> HttpResponse:
    """Makes `board` the home board of the server or of one group (admins)."""
    form = _make_home_form(request, request.POST)
    assert form is not None  # admins only (require_admin)
    if not form.is_valid():
        messages.error(request, _("Choose whose home board it becomes, and where."))
        return redirect("boards:general", board.name)
    holder, action = form.save(board)
    audit.record(action, actor=request.user, target=holder if action.startswith("group") else None,
                 ip=client_ip(request), details={"board": board.name,
                                                 "where": form.cleaned_data["where"]})  # fmt: skip
    messages.success(request, _("%(board)s is now the home board for %(whom)s.") % {
        "board": board.title, "whom": dict(cast(forms.ChoiceField, form.fields["target"]).choices)[  # type: ignore[arg-type]  # pairs, set by MakeHomeForm
            form.cleaned_data["target"]]})  # fmt: skip
    return redirect("boards:general", board.name)


@impersonable
@require_http_methods(GET_POST)
@with_board(Level.FULL)
def board_general(request: Request, board: Board) -> HttpResponse:
    """URL name, title and visibility (`full`)."""
    before = general_state(board)
    form = BoardGeneralForm(posted(request), instance=board)
    saved = None
    if request.method == "POST" and form.is_valid():
        saved = save_general(request, form, before)
    if saved is not None:
        board = saved
        messages.success(request, _("Saved."))
        return redirect("boards:general", board.name)
    if form.errors:
        board.name = str(before["name"])  # the tabs' links keep the saved address
    context = settings_context(request, board, form=form, tab="general",
                               home_form=_make_home_form(request))  # fmt: skip
    return render(request, "boards/general.html", context, status=400 if form.errors else 200)


def general_state(board: Board) -> dict:
    return {"name": board.name, "title": board.title, "public": board.is_public}


def save_general(request: Request, form: BoardGeneralForm, before: dict) -> Board | None:
    """Saves a valid general form (`full`, checked by the caller) with its audit entry; None
    when the name was taken meanwhile (the form then says so). Shared with the API."""
    taken = editing.name_taken(form.cleaned_data["name"], form.instance)
    saved = save_unique(form, form.save, **taken)
    if saved is not None:
        after = general_state(saved)
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changed:
            audit.record("board.changed", actor=request.user, target=saved, ip=client_ip(request),
                         details=changed)  # fmt: skip
    return saved


def inherited_access(board: Board) -> list[dict]:
    """Who reaches the board without a row: its owner, groups through global permissions,
    and everybody when it is public."""
    rows: list[dict] = []
    if board.owner_id:
        rows.append({"who": board.owner, "kind": "user", "level": Level.FULL,
                     "why": _("Owner (created the board)")})  # fmt: skip
    for group in Group.objects.all():
        level = group_board_permission(group)
        if level:
            reason = ", ".join(
                p for p in group.permissions if p == "admin" or p.startswith("board")
            )
            rows.append({"who": group, "kind": "group", "level": level,
                         "why": _("Global permission: %(p)s") % {"p": reason}})  # fmt: skip
    if board.is_public:
        rows.append({"who": _("Everybody, also without logging in"), "kind": "public",
                     "level": Level.VIEW, "why": _("The board is public")})  # fmt: skip
    return rows


@impersonable
@require_http_methods(GET_POST)
@with_board(Level.MODIFY)
def board_access(request: Request, board: Board) -> HttpResponse:
    """The Access tab: `modify` users read it; `full` users add rows and change levels."""
    can_edit = can(request.grants, board, Level.FULL)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = AccessRowForm(board, posted(request)) if can_edit else None
    if access_tab.is_search(request):
        if form is None:
            raise PermissionDenied
        return access_tab.search_results(request, form)
    if request.method == "POST" and form is not None and form.is_valid():
        row, created = form.save()
        audit.record("board.access_changed", actor=request.user, target=board,
                     ip=client_ip(request), details={
                         "principal": str(row.user or row.group),
                         "kind": "user" if row.user_id else "group",
                         "level": row.level, "added": created})  # fmt: skip
        messages.success(request, _("Access saved."))
        return redirect("boards:access", board.name)
    rows = list(
        board.access_rows.select_related("user", "group").order_by("group__name", "user__username")
    )
    for row in rows:
        row.remove_url = reverse("boards:access_remove", args=[board.name, row.pk])  # type: ignore[attr-defined]  # for the template
    inherited = inherited_access(board)
    for row in inherited:
        row["level_label"] = Level(row["level"]).label
    context = settings_context(
        request, board, form=form, rows=rows, can_edit=can_edit, inherited=inherited,
        **access_tab.picker_context(request, form),
        tab="access", form_action=reverse("boards:access", args=[board.name]),
        levels_help=_("View: see the board. Modify: also edit widgets, layout and look. Full: "
                      "also rename, delete, change visibility and access."),
    )  # fmt: skip
    return render(
        request, "boards/access.html", context, status=400 if form and form.errors else 200
    )


@impersonable
@require_POST
@with_board(Level.FULL)
def board_access_remove(request: Request, board: Board, row_id: int) -> HttpResponse:
    row = get_object_or_404(board.access_rows.select_related("user", "group"), pk=row_id)
    principal = str(row.user or row.group)
    row.delete()  # post_delete bumps the resolver's version
    audit.record("board.access_removed", actor=request.user, target=board, ip=client_ip(request),
                 details={"principal": principal, "level": row.level})  # fmt: skip
    messages.success(request, _("Access of %(who)s removed.") % {"who": principal})
    return redirect("boards:access", board.name)


# --- Home boards and preferences -------------------------------------------------------------


@impersonable
@require_http_methods(GET_POST)
@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    user: User = request.user
    preference = UserPreference.objects.filter(user=user).first() or UserPreference(user=user)
    initial = {
        "display_name": user.display_name,
        "email": user.email,
        "color_scheme": user.color_scheme,
        "language": user.language,
        "time_zone": user.time_zone,
        "time_format": user.time_format,
        "week_start": user.week_start,
        "motion": user.motion,
        "desktop_home_board": preference.desktop_home_board_id,
        "mobile_home_board": preference.mobile_home_board_id,
    }
    boards = visible_boards(request.grants).order_by("title", "name")
    form = PreferencesForm(user, boards, posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        # Disabled fields (name and email from a provider) clean to their initial values.
        fields = ["display_name", "email", "color_scheme", "language", "time_zone", "time_format",
                  "week_start", "motion"]  # fmt: skip
        User.objects.filter(pk=user.pk).update(**{f: form.cleaned_data[f] for f in fields})
        # One row per user: two tabs saving a first choice at once update the same row.
        UserPreference.objects.update_or_create(user=user, defaults={
            "desktop_home_board": form.cleaned_data["desktop_home_board"],
            "mobile_home_board": form.cleaned_data["mobile_home_board"],
        })  # fmt: skip
        messages.success(request, _("Preferences saved."))
        return redirect("preferences")
    return render(request, "boards/preferences.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


@require_POST
@login_required
def detected_time_zone(request: AuthenticatedRequest) -> HttpResponse:
    """The browser's time zone, posted once by static/js/time-zone.js while the user has none:
    stored only then, so a zone chosen in the preferences is never overwritten."""
    form = DetectedTimeZoneForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Unknown time zone."), status=400, content_type="text/plain")
    name = form.cleaned_data["time_zone"]
    User.objects.filter(pk=request.user.pk, time_zone="").update(time_zone=name)
    return HttpResponse(status=204)


@require_http_methods(GET_POST)
@require_admin
def home_boards(request: AuthenticatedRequest) -> HttpResponse:
    """Admins choose the server's default home boards and each group's."""
    default = ServerHomeBoard.load()
    form = ServerHomeBoardForm(posted(request), instance=default)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record("home_board.default_changed", actor=request.user, ip=client_ip(request),
                     details={"desktop": str(saved.desktop_board or ""),
                              "mobile": str(saved.mobile_board or "")})  # fmt: skip
        messages.success(request, _("Default home boards saved."))
        return redirect("boards:home_boards")
    groups = Group.objects.select_related("desktop_home_board", "mobile_home_board")
    group_forms = [(group, GroupHomeBoardForm(instance=group, prefix=f"g{group.pk}"))
                   for group in groups]  # fmt: skip
    return render(request, "boards/home_boards.html",
                  {"form": form, "group_forms": group_forms},
                  status=400 if form.errors else 200)  # fmt: skip


@require_POST
@require_admin
def group_home_boards(request: AuthenticatedRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(Group, pk=group_id)
    form = GroupHomeBoardForm(request.POST, instance=group, prefix=f"g{group.pk}")
    if form.is_valid():
        form.save()
        audit.record("group.home_boards_changed", actor=request.user, target=group,
                     ip=client_ip(request), details={
                         "desktop": str(group.desktop_home_board or ""),
                         "mobile": str(group.mobile_home_board or "")})  # fmt: skip
        messages.success(request, _("Home boards of %(group)s saved.") % {"group": group.name})
    else:
        messages.error(request, _("Choose boards from the list."))
    return redirect("boards:home_boards")
