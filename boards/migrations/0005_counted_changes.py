"""Every write to the tables the board page looks up raises the change count (homeportal.changes)."""

from django.db import migrations

from homeportal.changes import BOARDS, unwatch, watch

TABLES = ("boards_board", "boards_boardaccess", "boards_section", "boards_collapsedsection")


def forwards(apps, schema_editor) -> None:
    watch(schema_editor, BOARDS, *TABLES)


def backwards(apps, schema_editor) -> None:
    unwatch(schema_editor, *TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("boards", "0004_uploadedicon"),
        ("homeportal", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
