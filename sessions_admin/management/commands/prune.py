from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from sessions_admin.pruning import prune


class Command(BaseCommand):
    help = (
        "Deletes expired sessions (OIDC sign-ins and second factors never finished included), "
        "login history and ended invite and reset links older than LOGIN_HISTORY_RETENTION, "
        "and audit entries older than AUDIT_RETENTION. The container runs it at every start; "
        "elsewhere run it daily from cron. Safe to run at any time, by several processes at once."
    )

    def handle(self, *args, **options):
        try:
            counts = prune()
        except DatabaseError as error:
            raise CommandError(
                f"The database cannot be used ({error}). Check DATABASE_URL (or DATA_DIR) and "
                "that `python manage.py migrate` has run."
            ) from None
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} deleted")
        kept = {
            "login history": settings.LOGIN_HISTORY_RETENTION,
            "audit log": settings.AUDIT_RETENTION,
        }
        self.stdout.write(
            "Kept: " + ", ".join(f"{kind} of the last {describe(s)}" for kind, s in kept.items())
        )


def describe(seconds: int) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"
