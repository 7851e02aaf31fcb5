"""Typed reads of model metadata that django-stubs cannot follow on its own.

``_meta.get_field`` may answer a relation's reverse side or a generic key, so its result lacks
``column`` and ``attname`` as far as the type checker knows; and simple-history adds the
``history`` manager to each historied model at class creation, which no stub declares. Each
is read here once, checked, instead of silencing the checker at every use.
"""

from typing import Any

from django.db import models
from simple_history.manager import HistoryManager


def concrete_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """The field ``name`` of ``model`` that has a column (not a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return field


def history_manager(obj_or_model: models.Model | type[models.Model]) -> HistoryManager:
    """The simple-history manager of a historied model (or of one of its rows)."""
    manager: HistoryManager = obj_or_model.history  # type: ignore[union-attr]
    return manager


def history_attribution_set(row: models.Model, *, actor: models.Model, reason: str) -> None:
    """Who made the change and why, for the history entry that ``row``'s next save writes
    (simple-history reads these two attributes off the instance)."""
    row._history_user = actor  # type: ignore[attr-defined]
    row._change_reason = reason  # type: ignore[attr-defined]


def history_model(model: type[models.Model]) -> Any:
    """The historical model (``HistoricalResident`` for ``Resident``) of a historied model: a
    class simple-history builds at run time, with attributes (``tracked_fields``, ``objects``)
    of its own making."""
    return history_manager(model).model
