import getpass
import sys

from django.conf import settings
from django.core.management.base import CommandError

from accounts.management.commands._recovery import RecoveryCommand
from accounts.recovery import (
    GENERATED_LENGTH,
    RecoveryError,
    cache_is_shared,
    check_password_policy,
    check_resettable,
    find_user,
    reset_password,
)

MAX_ATTEMPTS = 3


class Command(RecoveryCommand):
    help = f"""\
Sets a new password for a user who logs in with a homeportal password, when
they (or you) have lost it. The user is found whatever the case of the name.

The new password is:
  - asked twice, when the command runs in a terminal (leave it empty to
    generate one);
  - read from standard input when it is piped in: two lines, the password
    twice (for `docker exec -i` and scripts);
  - generated ({GENERATED_LENGTH} random letters and digits) with --generate,
    or when there is no terminal and nothing on standard input. A generated
    password is printed once.

A typed password must pass the password policy (at least 10 characters, not a
common password, not too close to the user's name). Then every session of the
user is ended, the user must choose a new password at the next login (unless
--no-force-change), and the reset is written to the audit log. A lock left by
failed logins is lifted too when REDIS_URL is set; without it the lock lives in
the server's memory and ends by itself (AUTH_THROTTLE_LOCKOUT) or at restart.

Refused for users who log in through LDAP, single sign-on or the reverse proxy
(their password is kept there), and when `credentials` is not in
AUTH_PROVIDERS. On any error nothing is changed and the exit status is 1."""
    epilog = """\
examples:
  docker exec -it homeportal python manage.py reset_password --username alice
  docker exec homeportal python manage.py reset_password -u alice --generate
  printf '%s\\n%s\\n' "$NEW" "$NEW" |
    docker exec -i homeportal python manage.py reset_password -u alice
  .venv/bin/python manage.py reset_password -u alice   (bare metal)"""
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "-u", "--username", required=True, metavar="NAME",
            help="The user whose password is reset, in any case.",
        )  # fmt: skip
        parser.add_argument(
            "--generate", action="store_true",
            help=f"Generate a random {GENERATED_LENGTH}-character password instead of asking.",
        )  # fmt: skip
        parser.add_argument(
            "--no-force-change", dest="force_change", action="store_false",
            help="Do not make the user choose a new password at the next login.",
        )  # fmt: skip
        parser.add_argument(
            "--disable-2fa", dest="disable_two_factor", action="store_true",
            help="Also turn off two-factor login (a lost phone and lost recovery codes).",
        )  # fmt: skip

    def handle(
        self, *args, username: str, generate: bool, force_change: bool,
        disable_two_factor: bool = False, **options,
    ):  # fmt: skip
        stdin = options.get("stdin") or sys.stdin
        with self.refusals():
            user = find_user(username)
            check_resettable(user)
            password = None if generate else self.read_password(user, stdin)
            result = reset_password(
                user, password, force_change=force_change, disable_two_factor=disable_two_factor
            )

        name = result.user.username
        self.line(self.style.SUCCESS(f"The password of “{name}” was reset."))
        if result.generated:
            self.line()
            self.line(f"  Username: {name}")
            self.line(f"  Password: {result.password}")
            self.line()
            self.line("This password is shown only this once: hand it over now.")
        sessions = result.sessions_ended
        self.line(
            f"{sessions} session{'s' if sessions != 1 else ''} of “{name}” ended; "
            "they must log in again everywhere."
            if sessions
            else f"“{name}” had no open session."
        )
        if result.force_change:
            self.line(f"“{name}” must choose a new password at the next login.")
        if result.two_factor_disabled:
            self.line(f"Two-factor login of “{name}” is off; they can set it up again.")
        if not cache_is_shared():
            minutes = max(1, round(settings.AUTH_THROTTLE_LOCKOUT / 60))
            self.line(
                "If failed logins locked the account, the lock ends by itself within "
                f"{minutes} minute{'s' if minutes != 1 else ''} or when homeportal restarts: "
                "without REDIS_URL it is kept in the server's memory, out of this command's reach."
            )
        if not result.user.is_active:
            self.line(
                self.style.WARNING(
                    f"“{name}” is disabled and cannot log in until an admin enables the account."
                )
            )

    def read_password(self, user, stdin) -> str | None:
        """The password to set, or None to generate one."""
        if getattr(stdin, "isatty", lambda: False)():
            return self.prompt(user)
        return self.read_lines(user, stdin)

    def prompt(self, user) -> str | None:
        for _attempt in range(MAX_ATTEMPTS):
            try:
                first = getpass.getpass(
                    f"New password for “{user.username}” (leave empty to generate one): "
                )
                if not first:
                    return None
                second = getpass.getpass("The same password again: ")
            except (EOFError, KeyboardInterrupt):
                raise CommandError("Cancelled. Nothing was changed.") from None
            if first != second:
                self.stderr.write("The two passwords do not match. Try again.")
                continue
            try:
                check_password_policy(first, user)
            except RecoveryError as error:
                self.stderr.write(f"{error} Try again.")
                continue
            return first
        raise CommandError(f"{MAX_ATTEMPTS} attempts failed. Nothing was changed.")

    def read_lines(self, user, stdin) -> str | None:
        """Two lines from a pipe; nothing at all means: generate."""
        first = stdin.readline()
        if first == "":
            return None
        second = stdin.readline()
        if second == "":
            raise RecoveryError(
                "Only one line was given: write the new password twice, on two lines. "
                "Nothing was changed."
            )
        first, second = first.rstrip("\r\n"), second.rstrip("\r\n")
        if first != second:
            raise RecoveryError("The two passwords do not match. Nothing was changed.")
        check_password_policy(first, user)
        return first
