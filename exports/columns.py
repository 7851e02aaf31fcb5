"""What the report's tables show, column by column: shared by the Excel and PDF renderers, so
the two formats say the same thing, and by the definitions sheet that explains them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from archives.selectors import VERIFY_EVERY
from events.selectors import EventCounts
from exports.figures import MonthCounts
from patrols.selectors import PatrolCounts
from wishes.selectors.figures import WishFigures

if TYPE_CHECKING:
    # A label is a lazy translation until it is drawn (``str(label)`` in the active language).
    from django_stubs_ext import StrOrPromise

INTEGER, PERCENT, DECIMAL, TEXT = "integer", "percent", "decimal", "text"


@dataclass(frozen=True)
class Column:
    key: str
    label: "StrOrPromise"
    kind: str
    value: Callable[[MonthCounts], float | None]
    definition: "StrOrPromise" = ""
    #: An audit figure: None means "no audit" rather than "no data".
    audit: bool = False


def _rate(name: str) -> Callable[[MonthCounts], float | None]:
    def value(counts: MonthCounts) -> float | None:
        rate = getattr(counts, name)
        return rate.value if rate is not None else None

    return value


def _patrol(value: Callable[[PatrolCounts], float]) -> Callable[[MonthCounts], float | None]:
    """A patrol figure, None (—) in a version published before patrols were counted."""

    def of(counts: MonthCounts) -> float | None:
        return value(counts.patrol) if counts.patrol is not None else None

    return of


def _events(value: Callable[[EventCounts], float | None]) -> Callable[[MonthCounts], float | None]:
    """An event figure, None (—) in a version published before events were counted."""

    def of(counts: MonthCounts) -> float | None:
        return value(counts.events) if counts.events is not None else None

    return of


def _interval(end: int) -> Callable[[MonthCounts], float | None]:
    def value(counts: MonthCounts) -> float | None:
        rate = counts.field_accuracy
        interval = rate.interval if rate is not None else None
        return interval[end] if interval else None

    return value


FIGURE_COLUMNS = [
    Column(
        "residents",
        _("Residents"),
        INTEGER,
        lambda c: c.residents,
        _("Active residents (registered or floating) at the last moment of the month."),
    ),
    Column("households", _("Households"), INTEGER, lambda c: c.households),
    Column("buildings", _("Buildings"), INTEGER, lambda c: c.buildings),
    Column(
        "new",
        _("New"),
        INTEGER,
        lambda c: c.new,
        _("Files created during the month."),
    ),
    Column(
        "moved_out",
        _("Moved out"),
        INTEGER,
        lambda c: c.moved_out,
        _("Residents whose status changed from active to moved out during the month."),
    ),
    Column(
        "updated",
        _("Updated"),
        INTEGER,
        lambda c: c.updated,
        _("Files changed at least once during the month."),
    ),
    Column(
        "completeness",
        _("Completeness"),
        PERCENT,
        _rate("completeness"),
        _("Share of active residents with every required field filled in."),
    ),
    Column(
        "timeliness",
        _("Timeliness"),
        PERCENT,
        _rate("timeliness"),
        format_lazy(
            _("Share of active residents verified in the last {days} days of the month."),
            days=VERIFY_EVERY.days,
        ),
    ),
    Column(
        "visits",
        pgettext_lazy("report column: visits logged", "Visits"),
        INTEGER,
        lambda c: c.visits,
        _("Visits logged with a date in the month."),
    ),
    Column("households_visited", _("Households visited"), INTEGER, lambda c: c.households_visited),
    Column(
        "households_needing",
        _("Households needing visits"),
        INTEGER,
        lambda c: c.households_needing,
        _(
            "Households with an active resident whose tag asks for visits "
            "(elderly living alone: twice a month)."
        ),
    ),
    Column(
        "coverage",
        _("Visit coverage"),
        PERCENT,
        _rate("coverage"),
        _("Share of households needing visits that were visited as often as their tags ask."),
    ),
    Column(
        "record_accuracy",
        _("Record accuracy"),
        PERCENT,
        _rate("record_accuracy"),
        _("Audited files found entirely correct, from audits closed for this month."),
        audit=True,
    ),
    Column(
        "field_accuracy",
        _("Field accuracy"),
        PERCENT,
        _rate("field_accuracy"),
        _("Audited fields found correct."),
        audit=True,
    ),
    Column(
        "field_accuracy_low",
        _("95% CI low"),
        PERCENT,
        _interval(0),
        _("The field accuracy's Wilson interval at 95%."),
        audit=True,
    ),
    Column("field_accuracy_high", _("95% CI high"), PERCENT, _interval(1), audit=True),
    Column(
        "satisfaction",
        _("Satisfaction"),
        DECIMAL,
        lambda c: c.satisfaction,
        _("Mean rating given by audited residents, 1 to 5."),
        audit=True,
    ),
    Column(
        "items_audited",
        _("Files audited"),
        INTEGER,
        lambda c: c.items_audited,
        _("Files checked in audits closed for this month."),
        audit=True,
    ),
]

#: The patrol rounds' columns: after the others in the workbook, in a table of their own in the
#: PDF.
PATROL_COLUMNS = [
    Column(
        "patrol_days",
        _("Patrol days"),
        INTEGER,
        _patrol(lambda p: p.days),
        _(
            "Days on which a patrol round was started. A street's and the city's figure adds "
            "up its grids' days (grid-days); a grid member's counts the days they walked."
        ),
    ),
    Column(
        "patrol_rounds",
        _("Patrol rounds"),
        INTEGER,
        _patrol(lambda p: p.rounds),
        _("Patrol rounds started during the month (a grid member's: the rounds they walked)."),
    ),
    Column(
        "patrol_km",
        _("Kilometres patrolled"),
        DECIMAL,
        _patrol(lambda p: p.kilometres),
        _("Distance of those rounds, from their plausible points, in kilometres."),
    ),
    Column(
        "buildings_covered",
        _("Buildings covered"),
        INTEGER,
        _patrol(lambda p: p.buildings_covered),
        format_lazy(
            _(
                "Buildings that a round of the month passed within {metres} m, each counted "
                "once (a grid member's: the buildings of their grids that they passed)."
            ),
            metres=settings.PATROL_ON_TRACK_METRES,
        ),
    ),
    Column(
        "building_coverage",
        _("Building coverage"),
        PERCENT,
        _rate("building_coverage"),
        _("Share of all buildings (with a position on the map or not) covered by rounds."),
    ),
    Column(
        "visits_on_track",
        _("Visits on-track"),
        INTEGER,
        _patrol(lambda p: p.visits_on_track),
        format_lazy(
            _(
                "Visits of the month near which the grid member's round passed the household's "
                "building (within {metres} m, {minutes} minutes either side)."
            ),
            metres=settings.PATROL_ON_TRACK_METRES,
            minutes=settings.PATROL_ON_TRACK_MINUTES,
        ),
    ),
    Column(
        "on_track",
        _("Visits on-track share"),
        PERCENT,
        _rate("on_track"),
        _(
            "Share of the month's visits that were on-track; a visit without a round at the "
            "time, or to a building without a position, counts as not on-track."
        ),
    ),
]

#: The events' columns: after the patrols' in the workbook, in a table of their own in the PDF,
#: for grids, communities, streets and the city, and for departments (``event_value``).
EVENT_COLUMNS = [
    Column(
        "events_received",
        _("Events received"),
        INTEGER,
        _events(lambda e: e.received),
        _(
            "Events reported during the month (a department's: events transferred to it "
            "during the month)."
        ),
    ),
    Column(
        "events_settled",
        _("Events settled"),
        INTEGER,
        _events(lambda e: e.settled),
        _(
            "Events evaluated and closed (green) during the month, whenever they were "
            "reported (a department's: those it held at some time)."
        ),
    ),
    Column(
        "events_settled_within_goal",
        format_lazy(_("Settled within {days} days"), days=settings.EVENT_SETTLE_GOAL_DAYS),
        INTEGER,
        _events(lambda e: e.settled_within_goal),
        format_lazy(
            _(
                "Events settled during the month at most {days} calendar days after they "
                "were reported: {hours} hours, counted around the clock, weekends and "
                "holidays included."
            ),
            days=settings.EVENT_SETTLE_GOAL_DAYS,
            hours=24 * settings.EVENT_SETTLE_GOAL_DAYS,
        ),
    ),
    Column(
        "events_within_goal",
        format_lazy(_("Share within {days} days"), days=settings.EVENT_SETTLE_GOAL_DAYS),
        PERCENT,
        _rate("events_within_goal"),
        _("Share of the events settled during the month that were settled within the goal."),
    ),
    Column(
        "events_median_hours",
        _("Median hours to settle"),
        DECIMAL,
        _events(lambda e: e.median_settle_hours),
        _(
            "Median of the hours from report to close of the events settled during the "
            "month (calendar hours)."
        ),
    ),
    Column(
        "events_returns",
        _("Returns"),
        INTEGER,
        _events(lambda e: e.returns),
        _(
            "Events a department returned during the month, with a reason, to the street or "
            "community that transferred them (a department's: those it returned)."
        ),
    ),
    Column(
        "events_send_backs",
        _("Send-backs"),
        INTEGER,
        _events(lambda e: e.send_backs),
        _(
            "Handled events the reporting community found unresolved and sent back during "
            "the month (a department's: those sent back to it)."
        ),
    ),
    Column(
        "events_overdue",
        _("Overdue events"),
        INTEGER,
        _events(lambda e: e.overdue),
        _(
            "Events with a stage (to be accepted, being handled, to be evaluated) whose time "
            "limit in working hours fell within the month, up to now for the current month, "
            "while the stage was still open: it ended after its limit or has not ended. Each "
            "event counts once. A department's: only the stages it held (to be accepted or "
            "being handled by it)."
        ),
    ),
    Column(
        "events_escalations",
        _("Escalations"),
        INTEGER,
        _events(lambda e: e.escalations),
        _(
            "Events escalated to the inspection office during the month (a department's: "
            "while it held them)."
        ),
    ),
]

#: Every figure the workbook shows, in its order.
ALL_COLUMNS = FIGURE_COLUMNS + PATROL_COLUMNS + EVENT_COLUMNS


def event_value(column: Column, events: EventCounts) -> float | None:
    """``column`` (one of ``EVENT_COLUMNS``) for a department's event figures."""
    return column.value(MonthCounts(events=events))


@dataclass(frozen=True)
class WishColumn:
    """A column of the micro-wishes' tables: a figure of a community's, street's or
    department's ``WishFigures``."""

    key: str
    label: "StrOrPromise"
    kind: str
    value: Callable[[WishFigures], float | None]
    definition: "StrOrPromise" = ""
    #: Whether a department's table shows it (departments post and withdraw no wish).
    department: bool = True


#: The micro-wishes' columns: a sheet of their own per community and per department in the
#: workbook, a section of their own in the PDF.
WISH_COLUMNS = [
    WishColumn(
        "wishes_posted",
        pgettext_lazy("wish figures", "Wishes posted"),
        INTEGER,
        lambda w: w.posted,
        _("Micro-wishes the community posted during the month."),
        department=False,
    ),
    WishColumn(
        "wishes_claimed",
        pgettext_lazy("wish figures", "Wishes claimed"),
        INTEGER,
        lambda w: w.claimed,
        _(
            "Claims made during the month (a wish claimed again after a claim was withdrawn "
            "counts again; a department's: the claims its staff made for it)."
        ),
    ),
    WishColumn(
        "wish_claims_withdrawn",
        pgettext_lazy("wish figures", "Claims withdrawn"),
        INTEGER,
        lambda w: w.claims_withdrawn,
        _(
            "Claims ended during the month without fulfilment: withdrawn by the claimer, or "
            "ended when the community withdrew the wish."
        ),
    ),
    WishColumn(
        "wishes_fulfilled",
        pgettext_lazy("wish figures", "Wishes fulfilled"),
        INTEGER,
        lambda w: w.fulfilled,
        _(
            "Wishes whose fulfilment the community confirmed during the month, whenever they "
            "were posted (a department's: those its staff fulfilled)."
        ),
    ),
    WishColumn(
        "wish_median_days",
        pgettext_lazy("wish figures", "Median days to fulfil"),
        DECIMAL,
        lambda w: w.median_days_to_fulfil,
        _(
            "Median of the calendar days from posting to the community's confirmation of the "
            "wishes fulfilled during the month (“—”: none was)."
        ),
    ),
    WishColumn(
        "wish_returns",
        pgettext_lazy("wish figures", "Returns before confirmation"),
        INTEGER,
        lambda w: w.returns,
        _(
            "Times the community returned the wishes fulfilled during the month to their "
            "claimer, with a reason, before confirming them."
        ),
    ),
    WishColumn(
        "wish_points",
        pgettext_lazy("wish figures", "Love-bank points"),
        INTEGER,
        lambda w: w.points,
        _("Points the month's confirmations added to the claimers' love bank (set by category)."),
    ),
    WishColumn(
        "wishes_withdrawn",
        pgettext_lazy("wish figures", "Wishes withdrawn"),
        INTEGER,
        lambda w: w.withdrawn,
        _("Wishes the community withdrew during the month, with a reason."),
        department=False,
    ),
]
WISH_DEPARTMENT_COLUMNS = [c for c in WISH_COLUMNS if c.department]

#: Shown in a cell without a figure: the month had no closed audit, or nothing to count.
NO_AUDIT = _("no audit")
NO_DATA = "—"

SCORE_DEFINITION = _(
    "0 to 100: the weighted mean of completeness, timeliness, visit coverage, record accuracy, "
    "satisfaction (1 to 5 mapped onto 0 to 1) and patrol. A part without data (no audit, no "
    "household needing visits, no building on the map) is left out and the others' weights "
    "carry the score."
)
PATROL_PART_LABEL = _("Patrol (score part)")
PATROL_PART_DEFINITION = _(
    "Score part: the mean of the building coverage and the visits on-track share (only the "
    "building coverage in a month without visits); left out when no building has a position "
    "on the map."
)
RANK_DEFINITION = _("Rank of the grid's score within its street (1 is best).")
MONTH_END_DEFINITION = _("Figures are taken from history as at the last moment of the month.")
EVENTS_MONTH_DEFINITION = _(
    "Event figures count by the portal's time zone: an event belongs to the month it was "
    "reported in for “received”, to the month it was closed in for “settled”; a community's, "
    "a street's and the city's figures add up their grids' (the median is taken over all "
    "their settled events). A department's figures count the events transferred to it."
)
WISHES_LABEL = pgettext_lazy("monthly report section", "Micro-wishes")
WISHES_MONTH_DEFINITION = _(
    "Micro-wish figures count by the portal's time zone: a wish belongs to the month it was "
    "posted in for “posted”, a claim to the month it was made in, a fulfilment to the month "
    "the community confirmed it in. A community's figures count its wishes (the communities "
    "of today); a street's and the city's add up their communities'. A department's count "
    "the claims its staff made for it; a street's report lists the departments that claimed "
    "its wishes."
)
PART_LABELS = {
    "completeness": _("Completeness"),
    "timeliness": _("Timeliness"),
    "coverage": _("Visit coverage"),
    "accuracy": _("Record accuracy"),
    "satisfaction": _("Satisfaction"),
    "patrol": _("Patrol"),
}


def empty_text(column: Column) -> str:
    return str(NO_AUDIT) if column.audit else NO_DATA


def empty_texts() -> dict[bool, str]:
    """``empty_text`` of every column, by ``Column.audit``, in the active language: for a
    renderer to ask once per file. Translating "no audit" again for every empty cell (40,000 of
    them for 2,000 grids) was a tenth of the workbook's time."""
    return {True: str(NO_AUDIT), False: NO_DATA}


def definitions(*, rank_label: str) -> list[tuple[str, str]]:
    """(figure, what it means) for every figure of the report that says more than its name,
    then the score, the rank (labelled as the file labels its column) and the month end: the
    definitions every file of the report ends with."""
    rows: list[tuple[StrOrPromise, str]] = [
        (str(c.label), str(c.definition)) for c in ALL_COLUMNS if c.definition
    ]
    rows += [(str(c.label), str(c.definition)) for c in WISH_COLUMNS]
    rows += [
        (PATROL_PART_LABEL, str(PATROL_PART_DEFINITION)),
        (_("Score"), str(SCORE_DEFINITION)),
        (rank_label, str(RANK_DEFINITION)),
        (_("Month end"), str(MONTH_END_DEFINITION)),
        (_("Events"), str(EVENTS_MONTH_DEFINITION)),
        (WISHES_LABEL, str(WISHES_MONTH_DEFINITION)),
    ]
    return [(str(label), text) for label, text in rows]


def weight_rows(weights: dict[str, float]) -> list[tuple[str, float]]:
    """(score part, its weight), in the report's order of the parts."""
    return [(str(PART_LABELS[part]), weight) for part, weight in weights.items()]
