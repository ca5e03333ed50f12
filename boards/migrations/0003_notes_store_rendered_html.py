"""Notes store their sanitised HTML, rendered once when saved: render the existing ones."""

from django.db import migrations


def render_notes(apps, schema_editor):
    from boards.markdown import render_or_plain

    Item = apps.get_model("boards", "Item")
    notes = list(Item.objects.filter(kind="notes"))
    for item in notes:
        options = dict(item.options) if isinstance(item.options, dict) else {}
        options["html"] = render_or_plain(str(options.get("text", "")))
        item.options = options
    Item.objects.bulk_update(notes, ["options"], batch_size=500)


def drop_rendered(apps, schema_editor):
    Item = apps.get_model("boards", "Item")
    notes = list(Item.objects.filter(kind="notes"))
    for item in notes:
        if isinstance(item.options, dict):
            item.options.pop("html", None)
    Item.objects.bulk_update(notes, ["options"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("boards", "0002_layout_widgets_home_boards")]

    operations = [migrations.RunPython(render_notes, drop_rendered)]
