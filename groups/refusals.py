"""How the administration pages answer a change that a role rule refused."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget

from groups.rules import RuleError


def refused(request: HttpRequest, error: RuleError, back: str = "") -> HttpResponse:
    """403 with the rule's reason: a page, or for htmx the message alone, shown in the page's
    notice area whatever element the request meant to update."""
    context = {"reason": error.messages[0], "back": back}
    if request.htmx:
        response = render(request, "groups/refused.html#notice", context, status=403)
        return reswap(retarget(response, "#admin-notices"), "innerHTML")
    return render(request, "groups/refused.html", context, status=403)
