"""homeportal's URLs plus /bench/cards/: a bare Django page rendering a 30-card template, the
yardstick the board page is measured against (same server, middleware and session),
/bench/bare/: a fixed HttpResponse through the whole middleware stack (the yardstick of the API
and of the forward-auth endpoints), and /bench/first-view/<name>/: the board page as its first
view after a change (the body dropped from the shared cache and the process before each
request, so it is rendered again; the widgets' own renderings stay, as after a change)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from boards.access import with_board
from boards.render import forget_body
from boards.views import render_board
from homeportal.urls import urlpatterns as project_urlpatterns

CARDS = [
    {"title": f"Card {n}", "text": f"Some text for card number {n}.", "url": f"/cards/{n}/"}
    for n in range(30)
]


def cards(request):
    return render(request, "bench/cards.html", {"cards": CARDS})


def bare(request):
    """The least a Django view can answer, through the whole middleware stack: the yardstick of
    the API (bench/bench_api.py) and of the forward-auth endpoints (bench/bench_forward_auth.py)."""
    return HttpResponse(b'{"ok": true}', content_type="application/json")


@require_safe
@with_board()
def first_view(request, board):
    forget_body(board)
    return render_board(request, board)


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/cards/", cards, name="bench-cards"),
    path("bench/first-view/<str:name>/", first_view, name="bench-first-view"),
    *project_urlpatterns,
]
