from django.core.management.base import CommandError

from accounts.management.commands._recovery import RecoveryCommand
from accounts.recovery import RESOLUTIONS, Collision, fix_usernames

UNRESOLVED_STATUS = 2


class Command(RecoveryCommand):
    help = """\
Renames the accounts whose stored username breaks the current rules: 3 to 32
characters, letters, digits, dots, hyphens and underscores only, starting with
a letter or digit, stored lowercase, not a reserved name (admin, root,
everyone, system...). Such names only come from old data: a database migrated
from elsewhere or from an older version. The database itself refuses
uppercase and over-long names; they are still handled, for databases where
those checks were not in place.

A name whose only fault is its case is lowercased (Bob -> bob). Other names
are normalised like names from LDAP, single sign-on and proxies: accents
folded (José -> jose), an e-mail address keeps its local part, other
characters become `-`, long names are cut, short ones padded with 0. Accounts
whose name follows the rules are never renamed.

A collision is a name that several accounts would get, that another account
has already, or that is reserved. Collisions are listed and left unchanged,
unless --resolve suffix gives each colliding account a numbered name (jose-1,
jose-2, oldest account first; nobody gets the contested name itself).
Every rename is printed and written to the audit log: tell the people
concerned their new login name. All renames happen in one transaction.

Exit status: 0 when every name follows the rules afterwards (with --dry-run:
would), 2 when collisions were left unchanged (the other renames are done),
1 on error (nothing changed)."""
    epilog = """\
examples:
  docker exec homeportal python manage.py fix_usernames --dry-run
  docker exec homeportal python manage.py fix_usernames --resolve suffix
  .venv/bin/python manage.py fix_usernames --dry-run   (bare metal)"""

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="List what would change, and change nothing.",
        )  # fmt: skip
        parser.add_argument(
            "--resolve", choices=RESOLUTIONS, metavar="suffix",
            help="Give colliding accounts numbered names (name-1, name-2…) instead of "
            "leaving them unchanged.",
        )  # fmt: skip

    def handle(self, *args, dry_run: bool, resolve: str | None, **options):
        with self.refusals():
            fixes = fix_usernames(dry_run=dry_run, resolve=resolve)

        verb = "Would rename" if dry_run else "Renamed"
        for rename in fixes.renames:
            self.line(f"{verb} “{rename.old}” to “{rename.new}”.")
        for collision in fixes.unresolved:
            self.line(self.style.WARNING(describe(collision)))
        contested = {pk: c.target for c in fixes.collisions for pk, _name in c.users}
        for rename in fixes.resolved:
            self.line(
                f"{verb} “{rename.old}” to “{rename.new}” "
                f"(collision on “{contested[rename.user_id]}”)."
            )

        done = len(fixes.renames) + len(fixes.resolved)
        unresolved = sum(len(c.users) for c in fixes.unresolved)
        if not done and not unresolved:
            self.line(self.style.SUCCESS("Every username follows the rules; nothing to change."))
            return
        if dry_run:
            self.line(f"Dry run: {done} account(s) would be renamed; nothing was changed.")
        else:
            self.line(self.style.SUCCESS(f"{done} account(s) renamed."))
        if unresolved:
            raise CommandError(
                f"{unresolved} account(s) {'would keep' if dry_run else 'keep'} names that break "
                "the rules because of collisions. Rename them by hand, or run "
                "`fix_usernames --resolve suffix` to give them numbered names.",
                returncode=UNRESOLVED_STATUS,
            )


def describe(collision: Collision) -> str:
    names = " and ".join(f"“{name}”" for _, name in collision.users)
    target = f"“{collision.target}”"
    if collision.reason == "reserved":
        reason = f"{target} is a reserved name"
    elif collision.holder is not None:
        reason = f"{target} belongs to another account (“{collision.holder}”)"
    else:
        reason = f"they would all become {target}"
    return f"Collision: {names}: {reason}; left unchanged."
