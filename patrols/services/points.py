"""Points from the phone page (batches) and from tracking apps (one a request).

Points are never trusted as sent. A malformed one (no number, off the globe) is refused with
its reason; a plausible-looking one that is not (poor accuracy, a time in the future or outside
the round, a jump no walker makes) is kept with a flag and left out of every figure. A point
sent twice (a lost response, an offline phone's resend) is stored once: its ``client_id`` is
unique in its round.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.model_meta import history_attribution_set
from patrols import sql
from patrols.models import Patrol, TrackingDevice, TrackPoint
from patrols.services.devices import device_token_digest
from patrols.services.rounds import locked_round
from patrols.services.totals import totals_work_out

#: A phone's clock may run a little ahead of the server's; beyond this a time is "in the future".
CLOCK_SKEW = dt.timedelta(minutes=2)


#: How many points one batch may carry (the phone page sends 20 at a time, more after a
#: long time offline); a larger request is refused whole.
MAX_BATCH = 1000


#: A device's "last position at" is written at most this often.
DEVICE_SEEN_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class RawPoint:
    """A position as a sender gave it, not yet checked."""

    client_id: object
    recorded_at: object  # an aware datetime once parsed (the views parse text and numbers)
    latitude: object
    longitude: object
    accuracy_m: object = None


@dataclass(frozen=True)
class Refusal:
    index: int  # the point's position in the batch
    reason: str
    #: The point itself is wrong (no number, off the globe), as opposed to a well-formed point
    #: with nowhere to go (no round open at its time, the round's points purged): a sender
    #: answers the first as its own error and need not resend the second.
    malformed: bool = False


@dataclass
class PointsReceipt:
    """What became of a batch: stored (flagged ones included), already there, refused."""

    stored: int = 0
    flagged: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def add(self, other: "PointsReceipt") -> None:
        self.stored += other.stored
        self.flagged += other.flagged
        self.duplicates += other.duplicates
        self.refused.extend(other.refused)


@dataclass(frozen=True)
class _CheckedPoint:
    index: int
    client_id: int
    recorded_at: dt.datetime
    latitude: float
    longitude: float
    accuracy_m: float | None


@transaction.atomic
def patrol_points_record(
    *, patrol: Patrol, actor: Actor, points: Sequence[RawPoint], now: dt.datetime | None = None
) -> PointsReceipt:
    """Store a batch of points the phone page sent for ``actor``'s round ``patrol``."""
    if len(points) > MAX_BATCH:
        raise ValidationError(_("At most %(n)s points at a time.") % {"n": MAX_BATCH})
    patrol = locked_round(patrol)
    if patrol.member_id != actor.pk:
        raise PermissionDenied(_("This round is another member's."))
    checked, refused = _checked(points)
    receipt = _store(patrol, checked, now or timezone.now())
    receipt.refused.extend(refused)
    return receipt


class DeviceRefused(PermissionDenied):
    """A tracking app's device identifier that is unknown or revoked."""


@transaction.atomic
def device_points_record(
    *, token: str, points: Sequence[RawPoint], now: dt.datetime | None = None
) -> PointsReceipt:
    """Store points a tracking app sent with its device token. Each goes to the member's
    round that was open at its time (an offline phone sends late); one taken when no round was
    open is refused: tracking is for rounds only."""
    now = now or timezone.now()
    device = TrackingDevice.objects.filter(token_sha256=device_token_digest(token)).first()
    if device is None:
        raise DeviceRefused(_("Unknown device: ask the administrator for a device identifier."))
    if device.revoked_at is not None:
        revoked_on = f"{timezone.localtime(device.revoked_at):%Y-%m-%d}"
        raise DeviceRefused(_("This device was revoked on %(date)s.") % {"date": revoked_on})
    if len(points) > MAX_BATCH:
        raise ValidationError(_("At most %(n)s points at a time.") % {"n": MAX_BATCH})
    checked, refused = _checked(points)
    receipt = PointsReceipt(refused=refused)
    by_patrol: dict[int, list[_CheckedPoint]] = {}
    rounds = _rounds_around(device.member_id, [p.recorded_at for p in checked], now)
    for point in checked:
        patrol = _round_at(rounds, point.recorded_at, now)
        if patrol is None:
            receipt.refused.append(Refusal(point.index, _("no round was open at that time")))
            continue
        by_patrol.setdefault(patrol.pk, []).append(point)
    locked = {patrol.pk: patrol for patrol in rounds}
    for patrol_id, batch in by_patrol.items():
        receipt.add(_store(locked[patrol_id], batch, now))
    if device.last_seen_at is None or now - device.last_seen_at >= DEVICE_SEEN_EVERY:
        # When a device last sent is bookkeeping, not a change anyone made to it; to the
        # minute, so that a point a request does not write the device's row too.
        seen = TrackingDevice.objects.filter(pk=device.pk)
        seen.update(last_seen_at=now)  # history: bookkeeping (see above)
    return receipt


def _rounds_around(member_id: int, times: list[dt.datetime], now: dt.datetime) -> list[Patrol]:
    """The member's rounds that may hold points taken at ``times``, locked for writing."""
    if not times:
        return []
    rounds = Patrol.objects.select_for_update().filter(
        member_id=member_id, started_at__lte=max(times) + CLOCK_SKEW
    )
    return list(rounds.exclude(ended_at__lt=min(times) - CLOCK_SKEW).order_by("pk"))


def _round_at(rounds: list[Patrol], at: dt.datetime, now: dt.datetime) -> Patrol | None:
    for patrol in rounds:
        end = patrol.ended_at or now
        if patrol.started_at - CLOCK_SKEW <= at <= end + CLOCK_SKEW:
            return patrol
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _checked(points: Sequence[RawPoint]) -> tuple[list[_CheckedPoint], list[Refusal]]:
    """The points that are well-formed, and a reason for each that is not."""
    checked: list[_CheckedPoint] = []
    refused: list[Refusal] = []
    for index, raw in enumerate(points):
        latitude, longitude = _number(raw.latitude), _number(raw.longitude)
        accuracy = _number(raw.accuracy_m) if raw.accuracy_m not in (None, "") else None
        client_id = raw.client_id
        if isinstance(client_id, str) and client_id.strip().isdigit():
            client_id = int(client_id)
        reason = None
        if not isinstance(client_id, int) or isinstance(client_id, bool) or client_id < 0:
            reason = _("no point identifier (a whole number)")
        elif client_id >= 2**63:
            reason = _("the point identifier is too large")
        elif not isinstance(raw.recorded_at, dt.datetime) or timezone.is_naive(raw.recorded_at):
            reason = _("no time, or a time without its zone")
        elif latitude is None or not -90 <= latitude <= 90:
            reason = _("the latitude is not a number between -90 and 90")
        elif longitude is None or not -180 <= longitude <= 180:
            reason = _("the longitude is not a number between -180 and 180")
        elif raw.accuracy_m not in (None, "") and (accuracy is None or accuracy < 0):
            reason = _("the accuracy is not a number of metres")
        if reason is not None:
            refused.append(Refusal(index, reason, malformed=True))
            continue
        assert isinstance(client_id, int) and isinstance(raw.recorded_at, dt.datetime)
        assert latitude is not None and longitude is not None
        checked.append(
            _CheckedPoint(index, client_id, raw.recorded_at, latitude, longitude, accuracy)
        )
    return checked, refused


def _first_flag(point: _CheckedPoint, patrol: Patrol, now: dt.datetime) -> int:
    """The flag a point earns on its own; speed is judged later, in time order, by
    ``_summarise`` (points arrive out of order)."""
    if point.recorded_at > now + CLOCK_SKEW:
        return TrackPoint.Flag.IN_FUTURE
    end = patrol.ended_at or now
    if not patrol.started_at - CLOCK_SKEW <= point.recorded_at <= end + CLOCK_SKEW:
        return TrackPoint.Flag.OUTSIDE_ROUND
    if point.accuracy_m is not None and point.accuracy_m > settings.PATROL_MAX_ACCURACY_M:
        return TrackPoint.Flag.INACCURATE
    return TrackPoint.Flag.PLAUSIBLE


def _store(patrol: Patrol, points: list[_CheckedPoint], now: dt.datetime) -> PointsReceipt:
    """Insert the points not yet in ``patrol`` (locked by the caller)."""
    receipt = PointsReceipt()
    if patrol.points_purged_at is not None:
        receipt.refused = [
            Refusal(p.index, _("this round's points were deleted after the retention period"))
            for p in points
        ]
        return receipt
    rows: dict[int, sql.PointRow] = {}
    for point in points:
        if point.client_id in rows:  # the same point twice in one batch: the first counts
            receipt.duplicates += 1
            continue
        rows[point.client_id] = sql.PointRow(
            patrol_id=patrol.pk,
            member_id=patrol.member_id,
            client_id=point.client_id,
            recorded_at=point.recorded_at,
            latitude=point.latitude,
            longitude=point.longitude,
            accuracy_m=point.accuracy_m,
            flag=_first_flag(point, patrol, now),
        )
    # Points are not historied: the round is, and its totals say what its points gave.
    inserted = sql.track_points_insert(list(rows.values()))
    receipt.stored = len(inserted)
    receipt.duplicates += len(rows) - len(inserted)
    receipt.flagged = sum(
        rows[client_id].flag != TrackPoint.Flag.PLAUSIBLE for client_id in inserted
    )
    if inserted and patrol.state == Patrol.State.OPEN:
        # A running count while the round is open; its end writes the round's history entry.
        running = Patrol.objects.filter(pk=patrol.pk)
        running.update(point_count=F("point_count") + len(inserted))  # history: see above
    elif inserted:
        # Late points of an ended round (an offline phone): its totals are worked out again.
        totals_work_out(patrol)
        history_attribution_set(
            patrol, actor=patrol.member, reason=_("late points arrived from the phone")
        )
        patrol.save()
    return receipt
