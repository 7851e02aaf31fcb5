"""Event categories and their time limits, as administrators keep them."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.model_meta import history_attribution_set
from events.models import EventCategory, EventTimeLimit


@transaction.atomic
def event_category_save(
    *, actor: Actor, category: EventCategory, reason: str = ""
) -> EventCategory:
    category.full_clean()
    history_attribution_set(category, actor=actor, reason=reason or _("category saved"))
    category.save()
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
