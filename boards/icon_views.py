"""Uploaded icons: the page that lists them, uploading, deleting, and serving them.

Who may do what:
- Anyone logged in sees the uploaded icons (on the icons page and in the picker's search),
  like the bundled ones: they are shared by the whole instance.
- Uploading is for whoever can use an icon field somewhere: people who may create boards,
  integrations or protected apps, or who may modify a board, have full access to an
  integration or own a protected app (`may_upload`).
- Deleting is for the person who uploaded the icon, and for admins.
- Serving needs no login: icons are decorative, and a public board shows its icons to
  anonymous visitors. Each answer is locked down as an image (see `serve_icon`).
"""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from boards import uploads
from boards.icons import FOREVER
from boards.models import Item, UploadedIcon
from groups.permissions import APP_MANAGE
from homeportal.http import AuthenticatedRequest, Request
from homeportal.net import client_ip
from sessions_admin import audit

# An uploaded icon opened on its own may run nothing, load nothing and is a sandboxed
# document (an SVG's own inline styles are allowed: they only draw).
ICON_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


UPLOADING_PERMISSIONS = ("board-create", "integration-create", APP_MANAGE)


def may_upload_by_permission(grants) -> bool:
    """Whether the person's global permissions alone let them upload: what the navigation of
    every page asks (without a query), to lead them to the icons page."""
    return grants.is_authenticated and any(grants.has(p) for p in UPLOADING_PERMISSIONS)


def may_upload(grants) -> bool:
    """Whether the person can use an icon field somewhere (see the module's docstring)."""
    from boards.access import visible_boards
    from integrations.access import visible_integrations
    from protected_apps.models import ProtectedApp

    if not grants.is_authenticated:
        return False
    if may_upload_by_permission(grants):
        return True
    return (
        visible_boards(grants, "modify").exists()
        or visible_integrations(grants, "full").exists()
        or ProtectedApp.objects.filter(owner_id=grants.user_id).exists()
    )


def may_delete(grants, icon: UploadedIcon) -> bool:
    return grants.is_admin or (icon.uploader_id is not None and icon.uploader_id == grants.user_id)


class UploadForm(forms.Form):
    icon_file = forms.FileField(label=gettext_lazy("Icon file"))
    icon_name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("How the picker finds it. Empty: the file's name."),
    )

    def clean(self):
        data = super().clean() or {}
        upload = data.get("icon_file")
        if upload is None:
            return data
        if upload.size > uploads.max_bytes():
            raise ValidationError(
                {
                    "icon_file": _("The file is too large: icons may be at most %(size)s KiB.")
                    % {"size": uploads.max_bytes() // 1024}
                }
            )
        content = b"".join(upload.chunks())
        try:
            data["checked"] = uploads.check(content, upload.name or "")
        except ValidationError as error:
            raise ValidationError({"icon_file": error.messages}) from error
        stem = (upload.name or "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        data["icon_name"] = (data.get("icon_name") or "").strip() or stem.strip()[:80] or _("Icon")
        return data

    def save(self, uploader) -> tuple[UploadedIcon, bool]:
        """The stored icon, and whether it is new (the same content is stored once)."""
        checked: uploads.Checked = self.cleaned_data["checked"]
        digest = hashlib.sha256(checked.data).hexdigest()
        existing = UploadedIcon.objects.filter(sha256=digest).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                icon = UploadedIcon.objects.create(
                    name=self.cleaned_data["icon_name"],
                    content_type=checked.content_type,
                    data=checked.data,
                    sha256=digest,
                    size=len(checked.data),
                    width=checked.width,
                    height=checked.height,
                    uploader=uploader,
                )
        except IntegrityError:  # the same file, uploaded at the same moment by someone else
            return UploadedIcon.objects.get(sha256=digest), False
        return icon, True


def _icons_page(request, form, status=200):
    grants = request.grants
    rows = [
        {"icon": icon, "may_delete": may_delete(grants, icon)}
        for icon in UploadedIcon.objects.defer("data").select_related("uploader")[:500]
    ]
    context = {
        "rows": rows,
        "form": form,
        "may_upload": may_upload(grants),
        "max_kib": uploads.max_bytes() // 1024,
    }
    return render(request, "boards/icons.html", context, status=status)


def delete_everywhere(icon: UploadedIcon) -> int:
    """Deletes the icon and the references to it, so nothing shows a missing image: app
    links fall back to their letter, integrations to their kind's icon, protected apps to
    none. Answers how many things showed it."""
    from integrations.models import Integration
    from protected_apps.models import ProtectedApp

    reference = icon.reference
    with transaction.atomic():
        items = list(Item.objects.filter(kind="app", options__brand_icon=reference))
        for item in items:
            item.options = {**item.options, "brand_icon": "-"}
            item.save(update_fields=["options"])  # moves the board's `updated`
        count = len(items)
        count += Integration.objects.filter(icon=reference).update(icon="")
        count += ProtectedApp.objects.filter(icon=reference).update(icon="")
        icon.delete()
    return count


@require_safe
@login_required
def icon_list(request: AuthenticatedRequest) -> HttpResponse:
    """The uploaded icons, and the upload form for those who may upload."""
    return _icons_page(request, UploadForm())


@require_POST
@login_required
def icon_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Stores an uploaded icon. From the picker (htmx) it answers the picker's results with
    the icon in them; as a plain form, the icons page."""
    if not may_upload(request.grants):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        if request.htmx:
            errors = [str(e) for field in form.errors.values() for e in field]
            return render(request, "boards/icon_results.html", {"errors": errors})
        return _icons_page(request, form, status=400)
    icon, created = form.save(request.user)
    if created:
        audit.record(
            "icon.uploaded",
            actor=request.user,
            target=icon,
            ip=client_ip(request),
            details={"type": icon.content_type, "size": icon.size, "sha256": icon.sha256},
        )
    if request.htmx:
        found = [{"slug": icon.reference, "title": icon.name, "url": icon.url, "uploaded": True}]
        return render(request, "boards/icon_results.html", {"icons": found, "uploaded": True})
    if created:
        messages.success(request, _("Icon uploaded: %(name)s.") % {"name": icon.name})
    else:
        messages.info(
            request, _("This icon was already uploaded, as %(name)s.") % {"name": icon.name}
        )
    return redirect("icons:list")


@require_POST
@login_required
def icon_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Deletes an uploaded icon (its uploader or an admin), and the references to it
    (delete_everywhere)."""
    icon = get_object_or_404(UploadedIcon.objects.defer("data"), pk=pk)
    if not may_delete(request.grants, icon):
        raise PermissionDenied
    audit.record(
        "icon.deleted",
        actor=request.user,
        target=icon,
        ip=client_ip(request),
        details={"sha256": icon.sha256},
    )
    delete_everywhere(icon)
    messages.success(request, _("Icon deleted."))
    return redirect("icons:list")


@require_http_methods(["GET", "HEAD"])
def serve_icon(request: Request, key: str, ext: str) -> HttpResponse:
    """An uploaded icon's bytes. Public on purpose (see the module's docstring). The address
    holds the start of the content's hash, so it is cached for good."""
    icon = UploadedIcon.objects.filter(sha256__startswith=key).first()
    if icon is None or icon.extension != ext:
        raise Http404
    etag = quote_etag(icon.sha256)
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(icon.data), content_type=icon.content_type)
        ascii_name = "".join(c for c in icon.name if c.isascii() and (c.isalnum() or c in "-_ "))
        response["Content-Disposition"] = (
            f'inline; filename="{ascii_name.strip() or "icon"}.{icon.extension}"'
        )
    response["ETag"] = etag
    response["Cache-Control"] = FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ICON_CSP
    return response


def uploaded_matches(query: str, limit: int) -> list[dict]:
    """Uploaded icons whose name contains the query, for the picker."""
    found = UploadedIcon.objects.filter(name__icontains=query).defer("data")[:limit]
    return [{"slug": i.reference, "title": i.name, "url": i.url, "uploaded": True} for i in found]
