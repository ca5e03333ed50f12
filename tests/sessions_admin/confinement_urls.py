"""The project's URLs plus two pages added "later": one that says it may be opened while
acting as another user, one that says nothing (tests/sessions_admin/test_confinement.py)."""

from django.http import HttpResponse
from django.urls import include, path

from groups.decorators import impersonable
from homeportal.urls import urlpatterns as project_urls


def new_page(request):
    return HttpResponse(f"new page for {request.user.username}")


@impersonable
def new_marked_page(request):
    return HttpResponse(f"marked page for {request.user.username}")


extra = ([path("new/", new_page, name="new"), path("marked/", new_marked_page, name="marked")],
         "later")  # fmt: skip
urlpatterns = [path("later/", include(extra)), *project_urls]
