"""Retention: old points go, rounds keep their totals."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patrols.models import Patrol, TrackPoint


@transaction.atomic
def patrol_points_purge(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete the points of rounds that ended more than ``PATROL_POINT_RETENTION_DAYS`` ago;
    the rounds keep their totals, line and buildings passed. Returns (rounds, points)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.PATROL_POINT_RETENTION_DAYS)
    old = Patrol.objects.filter(ended_at__lt=cutoff, points_purged_at__isnull=True)
    patrol_ids = list(old.values_list("pk", flat=True))
    points = 0
    for start in range(0, len(patrol_ids), 500):
        chunk = patrol_ids[start : start + 500]
        deleted, _by_model = TrackPoint.objects.filter(patrol_id__in=chunk).delete()
        points += deleted
    # The purge is the retention rule at work, not a change to the round; its totals stay.
    purged = Patrol.objects.filter(pk__in=patrol_ids)
    purged.update(points_purged_at=now)  # history: the retention rule (see above)
    return len(patrol_ids), points
