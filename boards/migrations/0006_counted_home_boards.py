"""The home boards' tables raise the boards' change count too: `/` keeps its choice under it
(boards.home)."""

from django.db import migrations

from homeportal.changes import BOARDS, unwatch, watch

TABLES = ("boards_userpreference", "boards_serverhomeboard")


def forwards(apps, schema_editor) -> None:
    watch(schema_editor, BOARDS, *TABLES)


def backwards(apps, schema_editor) -> None:
    unwatch(schema_editor, *TABLES)


class Migration(migrations.Migration):
    dependencies = [("boards", "0005_counted_changes")]

    operations = [migrations.RunPython(forwards, backwards)]
