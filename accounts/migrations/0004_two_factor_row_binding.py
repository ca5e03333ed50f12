"""2FA seeds were sealed with their purpose alone as associated data, so a seed copied into
another user's row still decrypted. This re-seals each one bound to its row
(`crypto.binding(purpose, table, row id, field)`), under the current key.

A seed that opens with neither the old nor the new associated data is left as it is and named
in the output: the login page then says it cannot be read and what the admin can do.
"""

from django.db import migrations

from homeportal import crypto

PURPOSE = "accounts.TwoFactor.secret"
FIELD = "encrypted_secret"


def reseal_two_factor_seeds(apps, schema_editor) -> dict[str, int]:
    TwoFactor = apps.get_model("accounts", "TwoFactor")
    table = TwoFactor._meta.db_table
    counts = {"resealed": 0, "bound": 0, "unreadable": 0}
    for pk, token in TwoFactor.objects.exclude(**{FIELD: ""}).values_list("pk", FIELD):
        bound = crypto.binding(PURPOSE, table, pk, FIELD)
        try:
            crypto.decrypt(token, bound)
            counts["bound"] += 1  # already bound to its row (the migration ran before)
            continue
        except crypto.DecryptionError:
            pass
        try:
            seed = crypto.decrypt(token, PURPOSE)
        except crypto.DecryptionError:
            counts["unreadable"] += 1
            print(f"\n  {table} row {pk}: the 2FA seed cannot be decrypted; left unchanged.")
            continue
        TwoFactor.objects.filter(pk=pk, **{FIELD: token}).update(
            **{FIELD: crypto.encrypt(seed, bound)}
        )
        counts["resealed"] += 1
    return counts


def unbind_two_factor_seeds(apps, schema_editor) -> None:
    """Back to purpose-only associated data, for a downgrade to the previous release."""
    TwoFactor = apps.get_model("accounts", "TwoFactor")
    table = TwoFactor._meta.db_table
    for pk, token in TwoFactor.objects.exclude(**{FIELD: ""}).values_list("pk", FIELD):
        try:
            seed = crypto.decrypt(token, crypto.binding(PURPOSE, table, pk, FIELD))
        except crypto.DecryptionError:
            continue
        TwoFactor.objects.filter(pk=pk).update(**{FIELD: crypto.encrypt(seed, PURPOSE)})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_two_factor"),
    ]

    operations = [
        migrations.RunPython(reseal_two_factor_seeds, unbind_two_factor_seeds, elidable=False),  # type: ignore[arg-type]  # its counts are for the tests
    ]
