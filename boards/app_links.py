"""App links that name a protected app follow it when it is renamed or moved
(boards.widgets.app explains why the stored options are rewritten)."""

from boards.models import Item


def remember_app(sender, instance, **kwargs) -> None:
    """pre_save of a protected app: keeps the saved row for `follow_app`."""
    saved = type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
    instance.__dict__["_saved_before"] = saved


def app_saved(sender, instance, **kwargs) -> None:
    follow_app(instance, instance.__dict__.pop("_saved_before", None))


def follow_app(app, before) -> None:
    """Rewrites the links to protected app `app` that still show its former name or address
    (`before`, the saved row), keeping the ones their editors changed."""
    if before is None or (before.name, before.url) == (app.name, app.url):
        return
    for item in Item.objects.filter(kind="app", options__protected_app=app.pk):
        options = dict(item.options)
        if options.get("name") == before.name[:80]:
            options["name"] = app.name[:80]
        if options.get("url") == before.url:
            options["url"] = app.url
        if options != item.options:
            item.options = options
            item.save(update_fields=["options"])  # moves the board's `updated`
