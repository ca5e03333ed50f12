from django import template

from boards.safety import WEB_SCHEMES, safe_link, safe_web_url

register = template.Library()


@register.filter(name="safe_link")
def safe_link_filter(value) -> str:
    """The link when its scheme is allowed (never javascript:), else ""."""
    return safe_link(value)


@register.filter(name="safe_web_url")
def safe_web_url_filter(value) -> str:
    return safe_web_url(value)


@register.filter
def safe_image(value) -> str:
    """An image address: http(s) or a path on this server."""
    return safe_link(value, WEB_SCHEMES)


@register.simple_tag
def render_item(item, board, editing=False):
    """The body of a widget item (boards.render.render_item)."""
    from boards.render import render_item as render

    return render(item, board, editing)


@register.filter
def brand_icon(slug) -> dict | None:
    """The bundled brand icon or uploaded icon named by an icon field (boards/icons.py), or
    None."""
    from boards import icons

    return icons.resolve(slug)


@register.filter
def may_upload_icons(grants) -> bool:
    """Whether the person with these grants may upload icons (boards.icon_views.may_upload):
    the Settings navigation links the icons page for them."""
    from boards.icon_views import may_upload

    return grants is not None and may_upload(grants)


@register.filter
def uploads_icons_by_permission(grants) -> bool:
    """Whether the person's global permissions let them upload icons (no query): the site's
    navigation leads them to the icons page when no other settings page is theirs."""
    from boards.icon_views import may_upload_by_permission

    return grants is not None and may_upload_by_permission(grants)
