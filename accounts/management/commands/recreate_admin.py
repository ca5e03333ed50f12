from accounts.management.commands._recovery import RecoveryCommand
from accounts.recovery import GENERATED_LENGTH, TEMPORARY_GROUP_PREFIX, recreate_admin


class Command(RecoveryCommand):
    help = f"""\
Creates a new admin account when nobody can administer homeportal any more:
no active user who logs in with a homeportal password holds `admin` (the
admins were disabled or deleted, or they all log in through LDAP, single
sign-on or a proxy that is not working).

It creates a group with a temporary name ({TEMPORARY_GROUP_PREFIX}<8 hex
digits>) holding the `admin` permission, and a password user in it with a
random {GENERATED_LENGTH}-character password, and prints the username, the
password (once) and the group. Log in, choose a new password, and rename the
group (Settings > Groups) to something meaningful. If the instance has no
owner, the new user becomes the owner.

The username follows the usual rules (3 to 32 letters, digits, dots, hyphens
or underscores, starting with a letter or digit, not a reserved name such as
`admin`) and must be free. When an active password admin exists, the command
names one and stops: reset that admin's password with reset_password instead.
Refused when `credentials` is not in AUTH_PROVIDERS. On any error nothing is
changed and the exit status is 1. The creation is written to the audit log."""
    epilog = """\
examples:
  docker exec -it homeportal python manage.py recreate_admin --username rescue
  .venv/bin/python manage.py recreate_admin -u rescue   (bare metal)"""

    def add_arguments(self, parser):
        parser.add_argument(
            "-u", "--username", required=True, metavar="NAME",
            help="Username for the new admin account.",
        )  # fmt: skip
        parser.add_argument(
            "--no-force-change", dest="force_change", action="store_false",
            help="Do not make the new admin choose a new password at the first login.",
        )  # fmt: skip

    def handle(self, *args, username: str, force_change: bool, **options):
        with self.refusals():
            result = recreate_admin(username, force_change=force_change)

        name = result.user.username
        self.line(self.style.SUCCESS("We created a new admin account for you."))
        self.line(
            "The group that makes it an admin has a temporary name: rename it to something\n"
            "meaningful, such as “administrators”, under Settings → Groups."
        )
        self.line()
        self.line(f"  Username: {name}")
        self.line(f"  Password: {result.password}")
        self.line(f"  Group:    {result.group.name}")
        self.line()
        self.line("This password is shown only this once.")
        if result.user.must_change_password:
            self.line(f"“{name}” must choose a new password at the first login.")
        if result.became_owner:
            self.line(f"This homeportal had no owner: “{name}” is now its owner.")
