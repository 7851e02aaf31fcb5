"""Writes of patrol rounds: start, record points (from the phone page or a tracking app), end,
close the forgotten ones, purge old points, and the tracking apps' device tokens.

Points are never trusted as sent. A malformed one (no number, off the globe) is refused with
its reason; a plausible-looking one that is not (poor accuracy, a time in the future or outside
the round, a jump no walker makes) is kept with a flag and left out of every figure. A point
sent twice (a lost response, an offline phone's resend) is stored once: its ``client_id`` is
unique in its round.
"""

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.system import system_actor
from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Building, Grid
from patrols import geometry, sql
from patrols.models import Patrol, PatrolBuilding, TrackingDevice, TrackPoint

START_PERMISSION = "patrols.add_patrol"
#: A phone's clock may run a little ahead of the server's; beyond this a time is "in the future".
CLOCK_SKEW = dt.timedelta(minutes=2)
#: How many points one batch may carry (the phone page sends 20 at a time, more after a
#: long time offline); a larger request is refused whole.
MAX_BATCH = 1000
#: A device's "last position at" is written at most this often.
DEVICE_SEEN_EVERY = dt.timedelta(minutes=1)
#: Tolerance of the line kept for drawing, in metres.
LINE_TOLERANCE_M = 3.0


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


# Starting and ending ---------------------------------------------------------------------------


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


def _locked(patrol: Patrol) -> Patrol:
    return Patrol.objects.select_for_update().get(pk=patrol.pk)


@transaction.atomic
def patrol_end(*, patrol: Patrol, actor: Actor, at: dt.datetime | None = None) -> Patrol:
    """End ``actor``'s open round: its distance, points and line are worked out."""
    patrol = _locked(patrol)
    if patrol.member_id != actor.pk:
        raise PermissionDenied(_("This round is another member's."))
    if patrol.state != Patrol.State.OPEN:
        raise ValidationError(_("This round has ended already."))
    patrol.ended_at = max(at or timezone.now(), patrol.started_at)
    patrol.state = Patrol.State.ENDED
    _summarise(patrol)
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
        _summarise(patrol)
        history_attribution_set(
            patrol,
            actor=system_actor(),
            reason=_("left open for %(hours)s hours: closed at its last point")
            % {"hours": settings.PATROL_AUTO_CLOSE_HOURS},
        )
        patrol.save()
        closed += 1
    return closed


# Points ----------------------------------------------------------------------------------------


@transaction.atomic
def patrol_points_record(
    *, patrol: Patrol, actor: Actor, points: Sequence[RawPoint], now: dt.datetime | None = None
) -> PointsReceipt:
    """Store a batch of points the phone page sent for ``actor``'s round ``patrol``."""
    if len(points) > MAX_BATCH:
        raise ValidationError(_("At most %(n)s points at a time.") % {"n": MAX_BATCH})
    patrol = _locked(patrol)
    if patrol.member_id != actor.pk:
        raise PermissionDenied(_("This round is another member's."))
    checked, refused = _checked(points)
    receipt = _store(patrol, checked, now or timezone.now())
    receipt.refused.extend(refused)
    return receipt


def device_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        _summarise(patrol)
        history_attribution_set(
            patrol, actor=patrol.member, reason=_("late points arrived from the phone")
        )
        patrol.save()
    return receipt


# Totals ----------------------------------------------------------------------------------------


def _summarise(patrol: Patrol) -> None:
    """Work out ``patrol``'s flags for speed, distance, counts, line and buildings passed from
    its stored points (in memory; the caller saves the round)."""
    points = list(
        TrackPoint.objects.filter(patrol=patrol)
        .order_by("recorded_at", "client_id")
        .only("id", "recorded_at", "latitude", "longitude", "flag")
    )
    walked: list[TrackPoint] = []
    newly_fast: list[TrackPoint] = []
    for point in points:
        if point.flag not in (TrackPoint.Flag.PLAUSIBLE, TrackPoint.Flag.TOO_FAST):
            continue
        too_fast = bool(walked) and _speed(walked[-1], point) > settings.PATROL_MAX_SPEED_MPS
        flag = TrackPoint.Flag.TOO_FAST if too_fast else TrackPoint.Flag.PLAUSIBLE
        if flag != point.flag:
            point.flag = flag
            newly_fast.append(point)
        if not too_fast:
            walked.append(point)
    TrackPoint.objects.bulk_update(newly_fast, ["flag"], batch_size=1000)
    positions = [geometry.Position(p.latitude, p.longitude) for p in walked]
    patrol.distance_m = round(geometry.path_length_m(positions))
    patrol.point_count = len(points)
    patrol.flagged_count = len(points) - len(walked)
    patrol.line = [
        [round(p.latitude, 6), round(p.longitude, 6)]
        for p in geometry.simplify(positions, LINE_TOLERANCE_M)
    ]
    _buildings_passed_set(patrol, positions)


def _speed(a: TrackPoint, b: TrackPoint) -> float:
    seconds = (b.recorded_at - a.recorded_at).total_seconds()
    metres = geometry.distance_m(
        geometry.Position(a.latitude, a.longitude), geometry.Position(b.latitude, b.longitude)
    )
    if seconds <= 0:
        return 0.0 if metres < 1 else math.inf
    return metres / seconds


def _buildings_passed_set(patrol: Patrol, walked: list[geometry.Position]) -> None:
    """The buildings of the round's grid that its walked points came within reach of."""
    metres = settings.PATROL_ON_TRACK_METRES
    buildings = Building.objects.filter(grid_id=patrol.grid_id, latitude__isnull=False)
    passed = []
    for pk, latitude, longitude in buildings.values_list("pk", "latitude", "longitude"):
        if latitude is None or longitude is None:
            continue
        place = geometry.Position(float(latitude), float(longitude))
        dlat, dlon = geometry.degrees_around(place, metres)
        if any(
            abs(p.latitude - place.latitude) <= dlat
            and abs(p.longitude - place.longitude) <= dlon
            and geometry.is_near(p, place, metres)
            for p in walked
        ):
            passed.append(pk)
    PatrolBuilding.objects.filter(patrol=patrol).delete()
    PatrolBuilding.objects.bulk_create(
        [PatrolBuilding(patrol_id=patrol.pk, building_id=pk) for pk in passed]
    )


# Retention -------------------------------------------------------------------------------------


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


# Tracking apps' devices ------------------------------------------------------------------------


def _administrator(actor: Actor) -> None:
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("Only an administrator issues and revokes tracking devices."))


@transaction.atomic
def tracking_device_issue(*, actor: Actor, member: Actor, name: str) -> tuple[TrackingDevice, str]:
    """A new device for ``member``; returns it and its identifier, shown once (only its hash is
    kept). The member must walk rounds somewhere."""
    _administrator(actor)
    if not Grid.objects.filter(members=member).exists():
        raise ValidationError(_("%(member)s is not a member of any grid.") % {"member": member})
    token = secrets.token_urlsafe(24)
    device = TrackingDevice(
        member=member,
        name=name,
        token_sha256=device_token_digest(token),
        token_hint=token[-4:],
        issued_at=timezone.now(),
        issued_by=actor,
    )
    device.full_clean(exclude=["token_sha256"])
    history_attribution_set(device, actor=actor, reason=_("device issued"))
    device.save()
    return device, token


@transaction.atomic
def tracking_device_revoke(*, actor: Actor, device: TrackingDevice, reason: str) -> TrackingDevice:
    _administrator(actor)
    device = TrackingDevice.objects.select_for_update().get(pk=device.pk)
    if device.revoked_at is not None:
        raise ValidationError(_("This device is revoked already."))
    device.revoked_at = timezone.now()
    history_attribution_set(device, actor=actor, reason=reason or _("device revoked"))
    device.save()
    return device
