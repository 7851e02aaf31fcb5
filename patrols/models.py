"""Patrol rounds: a grid member's walk through their grid, the positions the phone (or a
tracking app) sent while it was open, and the buildings it passed.

Points are many (a month of a province is tens of millions) and are stored narrow: no history
and no text, a flag instead of a reason. A round keeps its totals when its points are purged
(``manage.py patrol_points_purge``), so the monthly figures never read the points but for the
visits' on-track check. Rows are written only through ``patrols.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.names import person_name
from archives.models import Building, Grid
from patrols.geometry import Position


class Patrol(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        ENDED = "ended", _("ended")
        CLOSED_AUTOMATICALLY = "auto_closed", _("closed automatically")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("grid member"),
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("grid")
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Worked out from the plausible points when the round ends (and again if late points from
    # an offline phone arrive after it), kept when the points are purged.
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    flagged_count = models.PositiveIntegerField(_("implausible points"), default=0)
    #: The track simplified for drawing: [[lat, lon], …] of the plausible points.
    line = models.JSONField(_("line"), default=list, blank=True)
    points_purged_at = models.DateTimeField(_("points deleted at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["line"])

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("patrol round")
        verbose_name_plural = _("patrol rounds")
        indexes = [
            # "This member's rounds this month" and "this grid's rounds this month".
            models.Index(fields=["member", "started_at"], name="patrol_member_time"),
            models.Index(fields=["grid", "started_at"], name="patrol_grid_time"),
            # The list's newest-first order, and the rounds left open (auto-close).
            models.Index(fields=["-started_at", "-id"], name="patrol_newest_first"),
            models.Index(fields=["state", "started_at"], name="patrol_state_time"),
        ]
        constraints = [
            # One open round per member: a second "start" is refused, not a second track.
            models.UniqueConstraint(
                fields=["member"], condition=Q(state="open"), name="one_open_patrol_per_member"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="patrol_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{person_name(self.member)} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def line_positions(self) -> list[Position]:
        """``line`` as positions, for drawing."""
        return [Position(float(lat), float(lon)) for lat, lon in self.line or []]

    @property
    def duration_s(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class TrackPoint(models.Model):
    class Flag(models.IntegerChoices):
        PLAUSIBLE = 0, _("plausible")
        INACCURATE = 1, _("accuracy too poor")
        TOO_FAST = 2, _("faster than anyone walks")
        IN_FUTURE = 3, _("time in the future")
        OUTSIDE_ROUND = 4, _("time outside the round")

    id = models.BigAutoField(primary_key=True)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="points", db_index=False
    )
    # The patrol's member, copied onto the point: a visit's on-track check asks for "this
    # member's points around this time" through one index, without joining the rounds.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    #: Chosen by the sender, unique in the round: the phone page numbers its points, a tracking
    #: app's point is known by its time in milliseconds. A point sent twice is stored once.
    client_id = models.BigIntegerField()
    recorded_at = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy_m = models.FloatField(null=True)
    flag = models.PositiveSmallIntegerField(choices=Flag.choices, default=Flag.PLAUSIBLE)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        constraints = [
            # Also the index of "this round's points" (its leading column).
            models.UniqueConstraint(fields=["patrol", "client_id"], name="track_point_once"),
        ]
        indexes = [
            # A visit's on-track check: this member's plausible points around this time, near
            # this place. Partial (plausible points only) and, on PostgreSQL, covering: the
            # position is read from the index without visiting a table of tens of millions of
            # rows (SQLite ignores ``include``: the settings silence its warning).
            models.Index(
                fields=["member", "recorded_at"],
                include=["latitude", "longitude"],
                condition=Q(flag=0),
                name="track_point_walked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recorded_at:%H:%M:%S} {self.latitude:.6f}, {self.longitude:.6f}"


class PatrolBuilding(models.Model):
    """A building of the round's grid that the round passed (within the on-track distance)."""

    id = models.BigAutoField(primary_key=True)
    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="buildings_passed", db_index=False
    )
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patrol", "building"], name="patrol_building_once"),
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.building_id}"


class TrackingDevice(models.Model):
    """A phone running a tracking app (Traccar Client, OsmAnd) for one member.

    The app signs in with nothing but its device identifier, so that identifier is a long
    random token the portal issues; only its SHA-256 is stored, and a revoked device's
    positions are refused.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tracking_devices",
        verbose_name=_("grid member"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. “Li Na’s phone”."))
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=4, editable=False)
    issued_at = models.DateTimeField(_("issued at"), editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last position at"), null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["last_seen_at"])

    class Meta:
        ordering = ["member", "name"]
        verbose_name = _("tracking device")
        verbose_name_plural = _("tracking devices")

    def __str__(self) -> str:
        return f"{self.name} (…{self.token_hint})"
