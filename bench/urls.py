"""homeportal's URLs plus /bench/cards/: a bare Django page rendering a 30-card template, the
yardstick the board page is measured against (same server, middleware and session)."""

from django.shortcuts import render
from django.urls import path

from homeportal.urls import urlpatterns as project_urlpatterns

CARDS = [
    {"title": f"Card {n}", "text": f"Some text for card number {n}.", "url": f"/cards/{n}/"}
    for n in range(30)
]


def cards(request):
    return render(request, "bench/cards.html", {"cards": CARDS})


urlpatterns = [path("bench/cards/", cards, name="bench-cards"), *project_urlpatterns]
