"""Events: problems found in a grid (rubbish in a stairwell, a missing manhole cover) and the
chain that settles them — report, accept or pass up, transfer to a department, handle,
evaluate — with a light for the stage each stands at and a time limit per stage in working
hours.

``Event`` holds where an event stands now (its light, who holds it, the current stage's
limit) and has history; ``EventStep`` is the chain as it happened, one row a step, written
once, which the figures count. Rows are written only through ``events.services``; what each
step may do is ``events.chain``.
"""

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from archives.models import Building, Community, Department, Grid, Household, Street
from archives.models.residents import RecordableHistory


class Urgency(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("urgency", "normal")
    URGENT = "urgent", pgettext_lazy("urgency", "urgent")
    CRITICAL = "critical", pgettext_lazy("urgency", "critical")


class Stage(models.TextChoices):
    """The stages that have a time limit: waiting to be accepted (red), being handled
    (yellow), waiting for the reporter's evaluation (blue)."""

    ACCEPT = "accept", _("to be accepted")
    HANDLE = "handle", _("being handled")
    EVALUATE = "evaluate", _("to be evaluated")


class Light(models.TextChoices):
    RED = "red", _("red: waiting to be accepted")
    YELLOW = "yellow", _("yellow: being handled")
    BLUE = "blue", _("blue: handled, waiting for evaluation")
    GREEN = "green", _("green: evaluated and closed")


#: The stage each light stands for (green has none: the event is closed).
LIGHT_STAGE = {Light.RED: Stage.ACCEPT, Light.YELLOW: Stage.HANDLE, Light.BLUE: Stage.EVALUATE}


class Level(models.TextChoices):
    """Who holds an event: the reporting community, its street, or a functional department."""

    COMMUNITY = "community", _("community")
    STREET = "street", _("street")
    DEPARTMENT = "department", _("department")


class EventCategory(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="event_categories",
        verbose_name=_("departments in charge"),
        help_text=_("Events of this category may be transferred to these departments only."),
    )
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Only categories in use can be reported.")
    )

    #: The departments are kept with each entry: ``event_category_save`` writes one entry for a
    #: save and its departments together, with who and why.
    history = RecordableHistory(m2m_fields=[departments])

    if TYPE_CHECKING:
        # What simple-history adds when the class is built, declared for the type checker.
        history_records: ClassVar[RecordableHistory]
        skip_history_when_saving: bool

        def save_without_historical_record(self, *args: Any, **kwargs: Any) -> None: ...

    class Meta:
        ordering = ["code"]
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")

    def __str__(self) -> str:
        return self.name


class EventTimeLimit(models.Model):
    """How many working hours a stage may take, for a category and an urgency."""

    category = models.ForeignKey(
        EventCategory,
        on_delete=models.CASCADE,
        related_name="time_limits",
        verbose_name=_("category"),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    working_hours = models.PositiveSmallIntegerField(
        _("working hours"), validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "urgency", "stage"]
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency", "stage"], name="one_time_limit_per_stage"
            ),
            models.CheckConstraint(condition=Q(working_hours__gte=1), name="time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_urgency_display()} · {self.get_stage_display()}"


class WorkCalendarDay(models.Model):
    """A date that is not what its weekday says: a public holiday on a weekday, or an
    adjusted working day (调休) on a weekend. Every other date is a working day Monday to
    Friday. Filled from ``chinese_calendar`` for the years it knows and edited by
    administrators for the years it does not yet."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), help_text=_("Ticked: an adjusted working day; not ticked: a holiday.")
    )
    name = models.CharField(_("name"), max_length=40, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("work calendar")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Event(models.Model):
    category = models.ForeignKey(
        EventCategory, on_delete=models.PROTECT, related_name="events", verbose_name=_("category")
    )
    description = models.TextField(_("description"), max_length=2000)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="events", verbose_name=_("grid")
    )
    # The grid's community and street, kept by the services: the lists, the scope and the
    # figures filter and group by them without joining through the grid.
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="events", verbose_name=_("community")
    )
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="events", verbose_name=_("street")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("building"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("household"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reported_events",
        verbose_name=_("reporter"),
    )
    reported_at = models.DateTimeField(_("reported at"))

    # Where it stands now.
    light = models.CharField(_("light"), max_length=6, choices=Light.choices, default=Light.RED)
    level = models.CharField(
        _("held by"), max_length=10, choices=Level.choices, default=Level.COMMUNITY
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("department"),
        help_text=_("The department it was transferred to, while a department holds it."),
    )
    #: Who transferred it to the department (community or street): a return goes back there.
    transferred_by = models.CharField(
        _("transferred by"), max_length=10, choices=Level.choices, blank=True
    )
    stage_started_at = models.DateTimeField(_("stage started at"))
    stage_due_at = models.DateTimeField(_("stage due at"), null=True, blank=True)
    #: Why the current stage runs late, as its holder recorded it; an event late without one
    #: may be escalated. Cleared when the stage ends.
    delay_reason = models.TextField(_("reason for the delay"), max_length=1000, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    returns = models.PositiveSmallIntegerField(_("returns"), default=0)
    send_backs = models.PositiveSmallIntegerField(_("send-backs"), default=0)
    #: One more with every step: a form says which version it showed, and a step on a newer one
    #: is refused (someone else acted meanwhile), not applied on top of it.
    version = models.PositiveIntegerField(_("version"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [
            ("act_for_community", _("Can accept, handle and evaluate events as a community")),
            ("act_for_street", _("Can accept, handle and transfer events as a street")),
            ("act_for_department", _("Can accept, return and handle events as a department")),
            ("escalate_event", _("Can escalate an overdue event to the inspection office")),
        ]
        indexes = [
            models.Index(fields=["-reported_at", "-id"], name="event_newest_first"),
            # Open events by light and limit (lists, "waiting for me", overdue).
            models.Index(fields=["light", "stage_due_at"], name="event_light_due"),
            models.Index(fields=["grid", "reported_at"], name="event_grid_time"),
            models.Index(fields=["community", "light"], name="event_community_light"),
            models.Index(fields=["street", "light"], name="event_street_light"),
            models.Index(fields=["department", "light"], name="event_department_light"),
            # Closed events by time (the figures). Partial: with the open events (closed_at
            # NULL) in it, PostgreSQL read the list's chain order from this index and sorted
            # every open event (19 ms for the city's first page) instead of reading the first
            # 50 from event_chain_order (0.3 ms).
            models.Index(
                fields=["closed_at"], name="event_closed", condition=Q(closed_at__isnull=False)
            ),
            # The list's chain order: open first (closed_at NULL sorts first descending on
            # PostgreSQL), the most urgent limit first, then the closed ones newest first.
            models.Index(fields=["-closed_at", "stage_due_at", "-id"], name="event_chain_order"),
            # The list filtered by light (the city's "red ones"), in the same order.
            models.Index(
                fields=["light", "-closed_at", "stage_due_at", "-id"],
                name="event_light_chain_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(level="department") | Q(department__isnull=False),
                name="event_department_holds_it",
            ),
            models.CheckConstraint(
                condition=Q(light="green", closed_at__isnull=False)
                | (~Q(light="green") & Q(closed_at__isnull=True)),
                name="event_closed_when_green",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="event_position_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"


class EventStep(models.Model):
    """One step of the chain as it happened. ``level`` and ``department`` say who holds the
    event after it (for a return: the department that returned it)."""

    class Action(models.TextChoices):
        REPORT = "report", _("reported")
        ACCEPT = "accept", _("accepted")
        PASS_UP = "pass_up", _("passed up to the street")
        TRANSFER = "transfer", _("transferred to a department")
        RETURN = "return", _("returned by the department")
        HANDLE = "handle", _("handled")
        CONFIRM = "confirm", _("confirmed")
        SEND_BACK = "send_back", _("sent back")
        EXPLAIN_DELAY = "explain_delay", _("delay explained")
        ESCALATE = "escalate", _("escalated to the inspection office")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="steps", verbose_name=_("event")
    )
    action = models.CharField(_("step"), max_length=14, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="event_steps",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note or reason"), max_length=2000, blank=True)
    light = models.CharField(_("light after"), max_length=6, choices=Light.choices)
    level = models.CharField(_("held by after"), max_length=10, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="event_steps",
        verbose_name=_("department"),
    )
    #: For a step that starts a stage: the stage's limit, and when the stage ended (the next
    #: stage-changing step); a stage ended after its limit, or open past it, was overdue.
    stage_due_at = models.DateTimeField(_("stage due at"), null=True, blank=True)
    stage_ended_at = models.DateTimeField(_("stage ended at"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event step")
        verbose_name_plural = _("event steps")
        indexes = [
            models.Index(fields=["event", "at"], name="event_step_event_time"),
            models.Index(fields=["action", "at"], name="event_step_action_time"),
            models.Index(fields=["department", "action"], name="event_step_department"),
            # Which events a department sees (events.selectors.visible): an index-only scan.
            models.Index(fields=["department", "event"], name="event_step_department_event"),
            models.Index(fields=["stage_due_at"], name="event_step_stage_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


def photo_path(photo: "EventPhoto", filename: str) -> str:
    # The name is the portal's, never the uploader's: photos are re-encoded as JPEG.
    return f"events/{photo.event_id}/{photo.uploaded_at:%Y%m%d%H%M%S}-{filename}"


class EventPhoto(models.Model):
    """A photo of the event (with the report) or of its handling (evidence), re-encoded as JPEG
    without metadata before it is stored (``archives.photos``). Served only to those who may see
    the event."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="photos", verbose_name=_("event")
    )
    step = models.ForeignKey(
        EventStep,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("step"),
    )
    image = models.FileField(_("photo"), upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("event photo")
        verbose_name_plural = _("event photos")

    def __str__(self) -> str:
        return self.image.name
