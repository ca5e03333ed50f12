"""Every write to groups and memberships raises the change count (homeportal.changes): a
user's grants are read from them alone (and the user's own row)."""

from django.db import migrations

from homeportal.changes import GROUPS, unwatch, watch

TABLES = ("groups_group", "groups_membership")


def forwards(apps, schema_editor) -> None:
    watch(schema_editor, GROUPS, *TABLES)


def backwards(apps, schema_editor) -> None:
    unwatch(schema_editor, *TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0004_group_require_two_factor"),
        ("homeportal", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
