"""Settings → API tokens: a user's own tokens (create, shown once; revoke), and for admins
everyone's, with revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apitokens.forms import RevokeForm, TokenCreateForm
from apitokens.models import ApiToken
from groups.decorators import require_permission
from groups.permissions import ADMIN
from homeportal.http import AuthenticatedRequest
from homeportal.net import client_ip
from sessions_admin import audit


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def my_tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The list and the creation form. A new token is shown in the answer to its creation
    and never again: only its hash is stored."""
    data = request.POST if request.method == "POST" else None
    form = TokenCreateForm(data, user=request.user, grants=request.grants)
    created = None
    if data is not None and form.is_valid():
        try:
            token, created = ApiToken.create(
                request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                lifetime=form.lifetime,
                survives=form.cleaned_data["survives"],
            )
        except IntegrityError:  # the same name, created meanwhile by another request
            form.add_error("name", _("You have a token with this name already."))
        else:
            audit.record(
                "api_token.created",
                actor=request.user,
                target=request.user,
                ip=client_ip(request),
                details={
                    "name": token.name,
                    "scopes": token.scopes,
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                    "survives": token.survives_holder_changes,
                },
            )
            form = TokenCreateForm(user=request.user, grants=request.grants)
    context = {
        "form": form,
        "created": created,
        "tokens": ApiToken.objects.filter(user=request.user),
    }
    return render(request, "apitokens/mine.html", context, status=400 if form.errors else 200)


@require_safe
@require_permission(ADMIN)
def all_tokens(request: AuthenticatedRequest) -> HttpResponse:
    tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created")
    return render(request, "apitokens/all.html", {"tokens": tokens})


@require_POST
@login_required
def revoke(request: AuthenticatedRequest) -> HttpResponse:
    """Ends one token: the holder's own, or anyone's for an admin."""
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose the token to revoke."), status=400)
    tokens = ApiToken.objects.select_related("user")
    if not request.grants.has(ADMIN):
        tokens = tokens.filter(user=request.user)
    token = tokens.filter(pk=form.cleaned_data["token"]).first()
    if token is None:
        raise Http404
    if token.revoke():
        audit.record(
            "api_token.revoked",
            actor=request.user,
            target=token.user,
            ip=client_ip(request),
            details={"name": token.name},
        )
        messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    if token.user_id != request.user.pk:
        return redirect("apitokens:all")
    return redirect("apitokens:mine")
