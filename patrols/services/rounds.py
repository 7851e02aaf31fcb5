"""Starting and ending rounds, and closing the ones left open."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.system import system_actor
from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Grid
from patrols.models import Patrol, TrackPoint
from patrols.services.totals import totals_work_out

START_PERMISSION = "patrols.add_patrol"


@transaction.atomic
def patrol_start(*, actor: Actor, grid: Grid, at: dt.datetime | None = None) -> Patrol:
    """Open a round for ``actor`` in ``grid``, one of the grids they work in."""
    if not scope.may_work_in(actor, grid, permission=START_PERMISSION):
        raise PermissionDenied(_("You may not patrol this grid."))
    if Patrol.objects.filter(member=actor, state=Patrol.State.OPEN).exists():
        raise ValidationError(_("You have a round open already: end it before starting another."))
    patrol = Patrol(member=actor, grid=grid, started_at=at or timezone.now())
    history_attribution_set(patrol, actor=actor, reason=_("round started"))
    try:
        with transaction.atomic():
            patrol.save()
    except IntegrityError:  # the same member pressed start twice at once
        raise ValidationError(
            _("You have a round open already: end it before starting another.")
        ) from None
    return patrol


def locked_round(patrol: Patrol) -> Patrol:
    return Patrol.objects.select_for_update().get(pk=patrol.pk)


@transaction.atomic
def patrol_end(*, patrol: Patrol, actor: Actor, at: dt.datetime | None = None) -> Patrol:
    """End ``actor``'s open round: its distance, points and line are worked out."""
    patrol = locked_round(patrol)
    if patrol.member_id != actor.pk:
        raise PermissionDenied(_("This round is another member's."))
    if patrol.state != Patrol.State.OPEN:
        raise ValidationError(_("This round has ended already."))
    patrol.ended_at = max(at or timezone.now(), patrol.started_at)
    patrol.state = Patrol.State.ENDED
    totals_work_out(patrol)
    history_attribution_set(patrol, actor=actor, reason=_("round ended"))
    patrol.save()
    return patrol


@transaction.atomic
def patrols_close_stale(*, now: dt.datetime | None = None) -> int:
    """Close the rounds open longer than ``PATROL_AUTO_CLOSE_HOURS``, at their last point (a
    member who forgot to press "end" did not walk all night). Returns how many."""
    now = now or timezone.now()
    limit = dt.timedelta(hours=settings.PATROL_AUTO_CLOSE_HOURS)
    stale = Patrol.objects.select_for_update(skip_locked=True).filter(
        state=Patrol.State.OPEN, started_at__lt=now - limit
    )
    closed = 0
    for patrol in stale:
        last = (
            TrackPoint.objects.filter(patrol=patrol, flag=TrackPoint.Flag.PLAUSIBLE)
            .order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first()
        )
        patrol.ended_at = min(max(last or patrol.started_at, patrol.started_at), now)
        patrol.state = Patrol.State.CLOSED_AUTOMATICALLY
        totals_work_out(patrol)
        history_attribution_set(
            patrol,
            actor=system_actor(),
            reason=_("left open for %(hours)s hours: closed at its last point")
            % {"hours": settings.PATROL_AUTO_CLOSE_HOURS},
        )
        patrol.save()
        closed += 1
    return closed
