from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from accounts.management.commands._recovery import RecoveryCommand
from homeportal import crypto
from sessions_admin import audit


class Command(RecoveryCommand):
    help = """\
Re-encrypts every secret stored encrypted (2FA seeds, integration secrets)
under the current SECRET_ENCRYPTION_KEY.

To change the key: put the new key in SECRET_ENCRYPTION_KEY and the old one in
SECRET_ENCRYPTION_OLD_KEYS (comma-separated, several allowed), restart, run
this command, then remove the old key from SECRET_ENCRYPTION_OLD_KEYS. Values
already under the current key are left as they are, so running it twice is
harmless.

A value that no configured key decrypts for its row is named (table, row,
field; never the value) and left unchanged; the others are re-encrypted all
the same. Exit status: 0 when every value is under the current key afterwards
(with --dry-run: would be), 1 when some cannot be decrypted or on error. The
rotation is written to the audit log."""
    epilog = """\
examples:
  docker exec homeportal python manage.py rotate_encryption_key --dry-run
  docker exec homeportal python manage.py rotate_encryption_key
  .venv/bin/python manage.py rotate_encryption_key   (bare metal)"""

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Count what would be re-encrypted, and change nothing.",
        )  # fmt: skip

    def handle(self, *args, dry_run: bool, **options):
        current_key = crypto.key_id(settings.SECRET_ENCRYPTION_KEY)
        with self.refusals(), transaction.atomic():
            result = crypto.rotate(dry_run=dry_run)
            if not dry_run:
                audit.record(
                    "encryption.key_rotated",
                    details={"sealed_with": current_key, "rotated": result.rotated,
                             "already_current": result.current,
                             "unreadable": len(result.unreadable)},
                )  # fmt: skip

        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        for label, count in result.per_field.items():
            self.line(f"{label}: {verb.lower()} {count}.")
        self.line(
            f"{verb} {result.rotated} value{'s' if result.rotated != 1 else ''} under key "
            f"{current_key}; {result.current} already under it."
        )
        if result.unreadable:
            for item in result.unreadable:
                self.stderr.write(f"Cannot decrypt {item.table} row {item.pk} ({item.field}).")
            raise CommandError(
                f"{len(result.unreadable)} value(s) cannot be decrypted with SECRET_ENCRYPTION_KEY "
                "or any key in SECRET_ENCRYPTION_OLD_KEYS and were left unchanged. If an older "
                "key is missing from SECRET_ENCRYPTION_OLD_KEYS, add it and run this again; "
                "otherwise enter those secrets again (for a 2FA seed: reset_password --username "
                "NAME --disable-2fa, then the user sets it up again)."
            )
        if not dry_run:
            self.line("Every stored secret is under the current key: the old keys can be removed.")
