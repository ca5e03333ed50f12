from django.db import migrations


def create_everyone(apps, schema_editor):
    Group = apps.get_model("groups", "Group")
    Group.objects.get_or_create(is_everyone=True, defaults={"name": "everyone", "position": 0})


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [migrations.RunPython(create_everyone, migrations.RunPython.noop)]
