"""Event categories and their time limits, as administrators keep them."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.model_meta import history_attribution_set
from archives.models import Department
from events.models import EventCategory, EventTimeLimit


@transaction.atomic
def event_category_save(
    *,
    actor: Actor,
    category: EventCategory,
    reason: str = "",
    departments: Iterable[Department] | None = None,
) -> EventCategory:
    """Create or update ``category`` and, when given, the departments in charge of it: one
    history entry for both, with ``actor`` and ``reason``."""
    adding = category._state.adding
    category.full_clean()
    history_attribution_set(category, actor=actor, reason=reason or _("category saved"))
    if departments is None:
        category.save()
        return category
    # The row and its departments, then one history entry that records both.
    category.save_without_historical_record()
    category.skip_history_when_saving = True
    try:
        category.departments.set(list(departments))
    finally:
        del category.skip_history_when_saving
    EventCategory.history_records.create_historical_record(category, "+" if adding else "~")
    return category


@transaction.atomic
def event_time_limit_save(
    *, actor: Actor, limit: EventTimeLimit, reason: str = ""
) -> EventTimeLimit:
    limit.full_clean()
    history_attribution_set(limit, actor=actor, reason=reason or _("time limit saved"))
    limit.save()
    return limit


@transaction.atomic
def event_time_limit_delete(*, actor: Actor, limit: EventTimeLimit, reason: str = "") -> None:
    """The stage falls back to the default limit (``events.services.limits``)."""
    history_attribution_set(limit, actor=actor, reason=reason or _("time limit removed"))
    limit.delete()
