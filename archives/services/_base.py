"""What every archive write shares: the scope check, the recorded save (validated, with
the actor and reason for its history entry) and the concurrent-edit error."""

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Resident

M = TypeVar("M", bound=models.Model)


#: When bulk-written changes happened: now (None), one moment for every row, or one per row.
When = dt.datetime | Sequence[dt.datetime] | None


def _check_scope(*, row: models.Model, actor: Actor) -> None:
    adding = row._state.adding
    if not adding and not scope.may(actor, scope.CHANGE, row):
        raise PermissionDenied(_("You may not change this record."))
    if not scope.may_place(actor, scope.ADD if adding else scope.CHANGE, row):
        raise PermissionDenied(_("This record would be in a grid you do not work in."))


def _save(*, row: models.Model, actor: Actor, reason: str) -> None:
    _check_scope(row=row, actor=actor)
    if not row._state.adding:
        stored = type(row)._default_manager.get(pk=row.pk)
        if not _fields_differ(stored, row):
            return  # nothing changed: no save, no empty history entry
    _recorded_save(row=row, actor=actor, reason=reason)


def _recorded_save(*, row: models.Model, actor: Actor, reason: str) -> None:
    """Validate and save ``row``; its history entry names ``actor`` and ``reason``."""
    row.full_clean()
    history_attribution_set(row, actor=actor, reason=reason)
    row.save()


class ConcurrentEditError(Exception):
    """Someone saved the resident after the form being posted was loaded."""

    def __init__(self, *, resident: Resident, loaded_version: int) -> None:
        super().__init__(f"resident {resident.pk} is at version {resident.version}")
        self.resident = resident
        self.loaded_version = loaded_version


def _editable_fields(model: type[models.Model]) -> list[str]:
    """The fields a person edits; a save that changes none of them records nothing."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in ("created_at", "updated_at")
    ]


def _fields_differ(stored: models.Model, edited: models.Model) -> bool:
    return any(getattr(stored, f) != getattr(edited, f) for f in _editable_fields(type(stored)))


_RESIDENT_EDITABLE = _editable_fields(Resident)
