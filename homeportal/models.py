"""The change count (homeportal.changes): one row, raised by database triggers."""

from django.db import models


class ChangeCount(models.Model):
    """How many writes the tables that pages look up have had (homeportal.changes). One row,
    id 1, written by triggers only."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "change count"

    def __str__(self) -> str:
        return f"change count {self.pk}: {self.value}"
