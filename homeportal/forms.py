"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def save_unique[T](
    form: forms.BaseForm,
    save: Callable[[], T],
    *,
    field: str,
    taken: Callable[[], bool],
    message: StrOrPromise,
) -> T | None:
    """`save()` in a savepoint, answering what it answers; or None with `message` on the form's
    `field` when the name it saves was taken meanwhile.

    A form checks that a name is free, but another request can save the same name between that
    check and this save. The loser then meets the model's own check (`full_clean` under the
    rules' lock answers ValidationError) or the database's unique constraint (IntegrityError);
    either is a taken name only when `taken()` says so afterwards, and anything else passes
    through. The savepoint leaves nothing of the failed save behind.
    """
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        if not taken():
            raise
    except ValidationError as error:
        if field not in getattr(error, "error_dict", {}) or not taken():
            raise
    form.add_error(field, message)
    return None
