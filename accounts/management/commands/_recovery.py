"""What the three recovery commands share: help that keeps its paragraphs, and refusals
turned into `CommandError` (exit status 1, one sentence on standard error).

Django skips modules whose names start with `_` when it looks for commands.
"""

import argparse
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.db import IntegrityError, OperationalError, ProgrammingError

from accounts.recovery import RecoveryError


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, with the description and examples printed as written."""


class RecoveryCommand(BaseCommand):
    epilog = ""

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("epilog", self.epilog or None)
        return super().create_parser(prog_name, subcommand, **kwargs)

    @contextmanager
    def refusals(self):
        """Turns a refusal or an unusable database into a clear CommandError."""
        try:
            yield
        except RecoveryError as error:
            raise CommandError(str(error)) from None
        except IntegrityError as error:
            raise CommandError(
                f"The database refused the change ({error}); perhaps something else changed "
                "the same accounts at the same time. Nothing was changed: run the command again."
            ) from None
        except (OperationalError, ProgrammingError) as error:
            raise CommandError(
                f"The database cannot be used ({error}). Check DATABASE_URL (or DATA_DIR) and "
                "that `python manage.py migrate` has run. Nothing was changed."
            ) from None

    def line(self, text: str = "") -> None:
        self.stdout.write(text)
