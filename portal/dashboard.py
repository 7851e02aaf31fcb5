"""What the admin index shows each role above the list of pages: wiring of selectors into
panels (archives.selectors, audits.selectors) and charts (portal.charts); no figures are
computed here. Each panel runs a fixed number of queries whatever the number of rows or grids.

- grid members and community staff: their grids' counts, residents due for verification,
  households short of their visits this month;
- street and municipal officials (and administrators): figures per street and, as charts,
  residents per street and the accuracy found by audits over the last six months;
- auditors: the items left to check in their open campaigns;
- whoever acts on events: the events waiting for them (``events_panel``);
- officials: the month's micro-wish figures of their area (``wish_figures``);
- community staff and claimers: the wishes waiting for them (``wishes_panel``): done claims to
  confirm, claimed wishes to fulfil.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone, translation

from archives import scope, selectors
from archives.models import Grid
from archives.months import last_months
from audits import selectors as audit_selectors
from events import selectors as event_selectors
from portal import charts, roles
from wishes import selectors as wish_selectors
from wishes.models import ClaimState
from wishes.selectors.figures import WishFigures, wish_figures_total, wish_month_figures

LIST_LENGTH = 10
TREND_MONTHS = 6

CLERK_ROLES = {roles.GRID_MEMBER, roles.COMMUNITY_STAFF}
OFFICIAL_ROLES = {roles.STREET_OFFICIAL, roles.MUNICIPAL_OFFICIAL, roles.DEPARTMENT_STAFF}


@dataclass
class ClerkPanel:
    grids: list[selectors.GridCountsNow]
    due_count: int
    due: list
    short_count: int
    short: list
    visit_rules: list[tuple[int, list[str]]]


@dataclass
class OfficialPanel:
    streets: list[selectors.StreetCountsNow]
    residents_chart: charts.BarChart
    accuracy_chart: charts.LineChart
    computed_at: dt.datetime
    #: Closed audits behind the chart that left items unchecked: their points rest on part of
    #: the sample, and the panel says so.
    incomplete_audits: list = field(default_factory=list)
    #: The window of "verified recently" the table's heading names.
    verified_within_days: int = selectors.VERIFY_EVERY.days
    #: Share of the events settled within the goal, per street (and the reader's departments)
    #: over the last six months.
    events_chart: charts.LineChart | None = None
    events_goal_days: int = settings.EVENT_SETTLE_GOAL_DAYS
    #: The month's micro-wish figures of the reader's area (None: none is theirs).
    wish_figures: "WishFiguresTable | None" = None


@dataclass
class AuditorPanel:
    campaigns: list
    items: list


def dashboard(user, now: dt.datetime | None = None) -> dict:
    """The panels for ``user``'s roles, as template context."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    role_names = set(user.groups.values_list("name", flat=True))
    context: dict = {}
    if role_names & CLERK_ROLES:
        context["clerk_panel"] = clerk_panel(user, now, today)
    if user.is_superuser or role_names & OFFICIAL_ROLES:
        context["official_panel"] = official_panel(user, now, today)
    if role_names & {roles.AUDITOR}:
        context["auditor_panel"] = auditor_panel(user)
    if user.has_perm("events.view_event"):
        context["events_panel"] = events_panel(user)
    if user.has_perm(WISH_VIEW_PERMISSION):
        panel = wishes_panel(user)
        if panel is not None:
            context["wishes_panel"] = panel
    return context


def clerk_panel(user, now: dt.datetime, today: dt.date) -> ClerkPanel:
    due = selectors.residents_due_for_verification(user, now)
    short = selectors.households_short_of_visits(user, today)
    return ClerkPanel(
        grids=selectors.grid_counts_now(user),
        due_count=due.count(),
        due=list(due[:LIST_LENGTH]),
        short_count=short.count(),
        short=list(short[:LIST_LENGTH]),
        visit_rules=selectors.visit_rules(),
    )


def official_panel(user, now: dt.datetime, today: dt.date) -> OfficialPanel:
    """The panel is kept for ``DASHBOARD_CACHE_SECONDS``; its street figures are the sums of
    per-grid figures a periodic job counts for the whole city (``portal.tasks``), and the time
    it shows is theirs. The key holds the user, their language and the grids they may see now:
    a grant given or taken away is seen at once, and English readers get English month
    labels."""
    grid_streets = selectors.grids_by_street(user)
    scope_digest = hashlib.sha256(repr(sorted(grid_streets.items())).encode()).hexdigest()
    # The panel holds text (month labels, grouped figures) in the reader's language.
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = f"dashboard:official:{user.pk}:{language}:{today:%Y-%m-%d}:{scope_digest}"
    panel = cache.get(key)
    if panel is None:
        panel = _official_panel(user, now, today, grid_streets)
        cache.set(key, panel, settings.DASHBOARD_CACHE_SECONDS)
    return panel


def _official_panel(user, now: dt.datetime, today: dt.date, grid_streets) -> OfficialPanel:
    figures = selectors.street_counts_now(user, today, now, grid_streets)
    streets = figures.streets
    residents_chart = charts.bar_chart(
        [
            (f.street.name, f.residents, formats.number_format(f.residents, force_grouping=True))
            for f in streets
        ]
    )
    months = last_months(today, TREND_MONTHS)
    # The grids ``grid_streets`` holds, as a subquery (the city's: no condition at all).
    grids = scope.restrict(Grid.objects.all(), user, scope.VIEW).values("pk")
    trend = audit_selectors.record_accuracy_by_street(months, grid_streets, grids=grids)
    accuracy_chart = charts.percent_line_chart(
        [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months],
        [(f.street.name, trend.get(f.street.pk, [None] * len(months))) for f in streets],
    )
    return OfficialPanel(
        streets=streets,
        residents_chart=residents_chart,
        accuracy_chart=accuracy_chart,
        computed_at=figures.computed_at,
        incomplete_audits=audit_selectors.incomplete_closed_campaigns(months, grids),
        events_chart=_events_chart(user, months, grid_streets, streets),
        wish_figures=wish_figures_table(user, today),
    )


def _events_chart(user, months: list[dt.date], grid_streets, streets) -> charts.LineChart:
    """The share of events settled within the goal, month by month."""
    lines = event_selectors.within_goal_trend(
        user, months, grid_streets, {f.street.pk: f.street.name for f in streets}
    )
    return charts.percent_line_chart(
        [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months], lines
    )


# The officials' micro-wish figures -------------------------------------------------------------


@dataclass
class WishFiguresTable:
    """The month's micro-wish figures of an official's area: per street for the whole city,
    per community for a street's (or community's) officials, and for a department's staff
    their departments' claims."""

    month: dt.date
    rows: list[WishFigures]
    #: The area's total, when it has more than one row of places (not of departments).
    total: WishFigures | None
    departments: list[WishFigures]


def wish_figures_table(user, today: dt.date) -> WishFiguresTable | None:
    """Six to eight queries (the wishes' figures of places and of departments, and the
    scope's), whatever the number of communities."""
    whole_city = user.is_superuser or user.has_perm(scope.CITY_PERMISSION)
    rows = wish_month_figures(today, by="street" if whole_city else "community", user=user)
    departments = wish_month_figures(today, by="department", user=user)
    if not rows and not departments:
        return None
    return WishFiguresTable(
        month=today.replace(day=1),
        rows=rows,
        total=wish_figures_total(rows) if len(rows) > 1 else None,
        departments=departments,
    )


def auditor_panel(user) -> AuditorPanel:
    return AuditorPanel(
        campaigns=audit_selectors.open_item_counts(user),
        items=list(audit_selectors.open_items_for(user)[:LIST_LENGTH]),
    )


# Events ---------------------------------------------------------------------------------------

#: Acting on events at some level, or escalating them: the long-open page is for them (a grid
#: member who only reports has no use for it).
EVENT_ACTING_PERMISSIONS = [
    event_selectors.COMMUNITY_PERMISSION,
    event_selectors.STREET_PERMISSION,
    event_selectors.DEPARTMENT_PERMISSION,
    event_selectors.ESCALATE_PERMISSION,
]


@dataclass
class EventsPanel:
    count: int
    events: list
    #: Whether to link to the page of events red or yellow for too long.
    long_open: bool
    now: dt.datetime


def events_panel(user, now: dt.datetime | None = None) -> EventsPanel:
    """The open events waiting for ``user`` (to accept, handle or evaluate), the most urgent
    limit first: two queries, and the scope's."""
    waiting = event_selectors.events_waiting_for(user)
    return EventsPanel(
        count=waiting.count(),
        events=list(waiting[:LIST_LENGTH]),
        long_open=any(user.has_perm(p) for p in EVENT_ACTING_PERMISSIONS),
        now=now or timezone.now(),
    )


# Micro-wishes ---------------------------------------------------------------------------------

WISH_VIEW_PERMISSION = "wishes.view_wish"
#: Community staff confirm or return done claims in the communities they may change wishes in.
WISH_CONFIRM_PERMISSION = "wishes.change_wish"
WISH_CLAIM_PERMISSION = "wishes.claim_wish"


@dataclass
class WishesPanel:
    #: Done claims of the reader's communities, waiting for confirmation (community staff).
    to_confirm_count: int
    to_confirm: list
    #: The reader's own claims still to do (claimers).
    to_fulfil_count: int
    to_fulfil: list
    is_staff: bool
    is_claimer: bool
    board: bool


def wishes_panel(user) -> WishesPanel | None:
    """What waits for ``user`` among the wishes, or None for someone who neither confirms nor
    claims (streets and the city follow wishes through the list and the figures)."""
    communities = scope.communities_to_work_in(user, permission=WISH_CONFIRM_PERMISSION)
    # Administrators keep the categories; confirming is the communities' work.
    is_staff = not user.is_superuser and communities.exists()
    claimer = wish_selectors.claimer_of(user)
    if not is_staff and claimer is None:
        return None
    claims = wish_selectors.claims_visible(user).select_related("wish", "claimer")
    to_confirm = claims.none()
    if is_staff:
        to_confirm = claims.filter(
            state=ClaimState.DONE, wish__community__in=communities.values("pk")
        ).order_by("done_at", "pk")
    to_fulfil = claims.none()
    if claimer is not None:
        to_fulfil = claims.filter(state=ClaimState.CLAIMED, claimer=claimer).order_by(
            "wish__wanted_by", "pk"
        )
    return WishesPanel(
        to_confirm_count=to_confirm.count() if is_staff else 0,
        to_confirm=list(to_confirm[:LIST_LENGTH]),
        to_fulfil_count=to_fulfil.count() if claimer is not None else 0,
        to_fulfil=list(to_fulfil[:LIST_LENGTH]),
        is_staff=is_staff,
        is_claimer=claimer is not None,
        board=user.has_perm(WISH_CLAIM_PERMISSION),
    )
