"""The monthly assessment figures, per grid, per grid member, per street and for the city.

Every month-end figure is read from the history tables as the archive stood at the last moment
of the month: for each object the newest history row dated before the next month began, unless
that row is a deletion. So a report for October computed in December gives October's numbers,
whatever moved, was redrawn or deleted since. The queries are set-based (window functions over
the history tables) and their number does not depend on the number of grids. While a month
runs, its end is now, and its residents, households and visits are read from the live tables
instead (``_grid_counts_now_sql``: the same rows, without ordering the whole history).

The figures' shapes (``MonthCounts``, the rows, ``MonthFigures``) are in ``exports.figures``.

It also answers who may read and publish which report, and which versions a month has: the one
place ``exports`` asks ``archives.scope`` about reports (the admin and the services both ask here).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import NamedTuple, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.names import person_name
from accounts.types import Actor
from archives import scope
from archives.model_meta import concrete_field
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    Household,
    Resident,
    Street,
    Tag,
    Visit,
)
from archives.months import first_day, month_bounds
from archives.selectors import RESIDENT_REQUIRED_FIELDS, figures_as_of, verified_since
from audits.selectors import grid_audit_figures
from events.selectors import EventCounts, event_counts_by_department, event_counts_by_grid
from exports import kept
from exports.figures import (
    DepartmentRow,
    GridRow,
    MemberRow,
    MonthCounts,
    MonthFigures,
    StreetRow,
    figures_from_json,
    report_weights,
)
from exports.models import REPORT_PUBLISH, REPORT_VIEW, MonthlyReport
from exports.sql import (
    fetch_all,
    figures_connection,
    figures_database,
    history_table,
    latest_history_rows,
    whole_table_joins,
)
from patrols.selectors import (
    PatrolCounts,
    buildings_covered_by_member_grid,
    patrol_month_counts,
)
from wishes.selectors.figures import WishFigures, wish_month_figures

M = TypeVar("M", bound=Model)

_ACTIVE = tuple(str(s) for s in Resident.ACTIVE_STATUSES)
_MOVED_OUT = str(Resident.ResidencyStatus.MOVED_OUT)


# Who reads which report --------------------------------------------------------------------------


def may_read_reports(user: scope.User) -> bool:
    """Whether ``user`` may open monthly reports at all: their list and the report page."""
    return user.is_active and user.has_perm(REPORT_VIEW)


def may_publish_reports(user: scope.User) -> bool:
    """Whether ``user`` may publish or correct some monthly report."""
    return user.is_active and user.has_perm(REPORT_PUBLISH)


def may_read_report(user: scope.User, street: Street | None) -> bool:
    """Whether ``user`` may read and download the report of ``street`` (None: the city)."""
    return scope.may_report(user, street, permission=REPORT_VIEW)


def may_publish_report(user: scope.User, street: Street | None) -> bool:
    """Whether ``user`` may publish and correct the report of ``street`` (None: the city)."""
    return scope.may_report(user, street, permission=REPORT_PUBLISH)


def reports_readable_by(queryset: QuerySet[M], user: scope.User) -> QuerySet[M]:
    """Those of ``queryset`` (monthly reports, or their downloads) that ``user`` may read."""
    return scope.restrict_reports(queryset, user, permission=REPORT_VIEW)


def streets_reported_to(user: scope.User) -> list[Street]:
    """The streets whose monthly reports ``user`` may read, by code (``archives.scope``
    decides: ``report_streets``)."""
    allowed = scope.report_streets(user)
    streets = Street.objects.order_by("code")
    return list(streets if allowed is scope.EVERY_STREET else streets.filter(pk__in=allowed))


def reports_whole_city(user: scope.User) -> bool:
    """Whether ``user`` may read the city's report (and so every street's)."""
    return scope.report_streets(user) is scope.EVERY_STREET


def default_report_street(user: scope.User) -> Street | None:
    """The scope a report opens on when none is asked for: the city (None) for whoever may
    read it, else the first of the user's streets (None when they have none)."""
    if reports_whole_city(user):
        return None
    streets = streets_reported_to(user)
    return streets[0] if streets else None


def reports_of_scope(month: dt.date, street: Street | None) -> QuerySet[MonthlyReport]:
    """Every version of the report of ``month`` (any day in it) for ``street`` (None: the
    city)."""
    scope_filter = Q(street=street) if street is not None else Q(street__isnull=True)
    return MonthlyReport.objects.filter(scope_filter, month=first_day(month))


def published_report(month: dt.date, street: Street | None) -> MonthlyReport | None:
    """The newest published version for the month and scope, or None (a draft)."""
    reports = reports_of_scope(month, street).filter(state=MonthlyReport.State.PUBLISHED)
    return reports.order_by("-version").first()


# SQL ---------------------------------------------------------------------------------------------
# Each query answers one row per grid (or grid member); its fields are named as the
# ``MonthCounts`` fields they fill.


class _GridCounts(NamedTuple):
    grid_id: int
    residents: int
    complete: int
    verified_recently: int
    new: int
    moved_out: int
    updated: int
    households: int
    visits: int
    households_visited: int
    households_needing: int
    households_covered: int


class _BuildingCounts(NamedTuple):
    grid_id: int
    buildings: int
    buildings_mapped: int


class _MemberVisits(NamedTuple):
    """The visits a grid member logged themselves, and the households they reached."""

    user_id: int
    visits: int
    households_visited: int


class _GridAtMonthEnd(NamedTuple):
    """A grid with its community and street as they stood at month end."""

    grid_id: int
    code: str
    name: str
    community: str
    street_id: int
    street_code: str
    street: str


def _complete_condition(alias: str) -> str:
    conditions = []
    for name in RESIDENT_REQUIRED_FIELDS:
        model_field = concrete_field(Resident, name)
        column = f"{alias}.{model_field.column}"
        if model_field.get_internal_type() in ("CharField", "TextField"):
            conditions.append(f"COALESCE({column}, '') <> ''")
        else:
            conditions.append(f"{column} IS NOT NULL")
    return " AND ".join(conditions)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class _GridAndMemberCounts(NamedTuple):
    grids: list[_GridCounts]
    members: list[_MemberVisits]


def _grid_counts(params: dict, *, now: bool = False) -> _GridAndMemberCounts:
    """Residents (held, complete, verified, new, moved out, changed) and households (visits,
    households visited, needing visits and covered) per grid, and the visits each grid
    member logged (``_grid_counts_sql``; ``now``: the running month's, from the live tables,
    ``_grid_counts_now_sql``)."""
    counts = _GridAndMemberCounts(grids=[], members=[])
    sql = _grid_counts_now_sql() if now else _grid_counts_sql()
    for kind, *row in fetch_all(sql, params):
        if kind == "grid":
            counts.grids.append(_GridCounts(*row))
        else:
            counts.members.append(_MemberVisits(*row[:3]))
    return counts


def _grid_counts_sql() -> str:
    """Residents (held, complete, verified, new, moved out, changed) and households (visits,
    households visited, needing visits and covered) per grid, and the visits each grid
    member logged, in one query (its rows say which they are).

    One query, not one per family: they all need each resident's, household's or visit's
    month-end row, and at a million residents reading those snapshots of the history tables
    is most of the report's time; here each is read once (the residents' snapshot is kept
    narrow: the flags the counts need, not the fields).

    A household needs visits when an active resident of it carries, at month end, a tag that
    asks for visits; it is covered when visited at least as often as its most demanding tag
    asks (elderly living alone: twice a month).
    """
    history = history_table(Resident)
    tags = apps.get_model("archives", "HistoricalResident_tags")._meta.db_table
    return f"""
    WITH r AS (
        -- Each resident's month-end row (its flags) and what happened to the file during
        -- the month (created, changed, moved out: an active status followed by "moved
        -- out"), from one ordered pass over the residents' history: each file's rows up to
        -- month end, its last one (no later row) the month-end row, unless a deletion.
        SELECT id,
            MAX(CASE WHEN last = 1 THEN history_id END) AS history_id,
            MAX(CASE WHEN last = 1 THEN household_id END) AS household_id,
            MAX(last * active) AS active,
            MAX(last * gone) AS gone,
            MAX(last * complete) AS complete,
            MAX(last * verified) AS verified,
            MAX(CASE WHEN in_month = 1 AND history_type = '+' THEN 1 ELSE 0 END) AS created,
            MAX(CASE WHEN in_month = 1 AND history_type = '~' THEN 1 ELSE 0 END) AS changed,
            MAX(CASE WHEN in_month = 1 AND gone = 1 AND prev_status IN {_in(_ACTIVE)}
                THEN 1 ELSE 0 END) AS moved_out
        FROM (
            SELECT id, history_id, household_id, history_type,
                CASE WHEN residency_status IN {_in(_ACTIVE)} THEN 1 ELSE 0 END AS active,
                CASE WHEN residency_status = '{_MOVED_OUT}' THEN 1 ELSE 0 END AS gone,
                CASE WHEN {_complete_condition(history)} THEN 1 ELSE 0 END AS complete,
                CASE WHEN last_verified_at >= %(verified_since)s THEN 1 ELSE 0 END AS verified,
                CASE WHEN history_date >= %(start)s THEN 1 ELSE 0 END AS in_month,
                CASE WHEN LEAD(history_id) OVER w IS NULL THEN 1 ELSE 0 END AS last,
                LAG(residency_status) OVER w AS prev_status
            FROM {history}
            WHERE history_date < %(next)s
            WINDOW w AS (PARTITION BY id ORDER BY history_date, history_id)
        ) AS rows_to_month_end
        GROUP BY id
        HAVING MAX(CASE WHEN last = 1 AND history_type = '-' THEN 1 ELSE 0 END) = 0
    ),
    hh AS ({latest_history_rows(Household, ["building_id"])}),
    b AS ({latest_history_rows(Building, ["grid_id"])}),
    hg AS (SELECT hh.id, b.grid_id FROM hh JOIN b ON b.id = hh.building_id),
    {_visits_cte()},
    vh AS (SELECT household_id, COUNT(*) AS n FROM v GROUP BY household_id),
    -- The most visits a month any tag of a history entry asks for (tags that ask none
    -- left out).
    tn AS (
        SELECT ht.history_id, MAX(t.needs_visits_per_month) AS needed
        FROM {tags} ht JOIN {Tag._meta.db_table} t ON t.id = ht.tag_id
        WHERE t.needs_visits_per_month > 0
        GROUP BY ht.history_id
    ),
    -- Per household: its residents' counts, and the visits its active residents' tags
    -- ask for (NULL: none asks). Residents are aggregated once, by household, rather than
    -- kept and joined twice.
    rh AS (
        SELECT r.household_id,
            SUM(r.active) AS residents,
            SUM(r.active * r.complete) AS complete,
            SUM(r.active * r.verified) AS verified_recently,
            SUM(r.created) AS new,
            SUM(r.gone * r.moved_out) AS moved_out,
            SUM(r.changed) AS updated,
            MAX(CASE WHEN r.active = 1 THEN tn.needed END) AS needed
        FROM r LEFT JOIN tn ON tn.history_id = r.history_id
        GROUP BY r.household_id
    ),
    gc AS (
        SELECT hg.grid_id,
            SUM(COALESCE(rh.residents, 0)) AS residents,
            SUM(COALESCE(rh.complete, 0)) AS complete,
            SUM(COALESCE(rh.verified_recently, 0)) AS verified_recently,
            SUM(COALESCE(rh.new, 0)) AS new,
            SUM(COALESCE(rh.moved_out, 0)) AS moved_out,
            SUM(COALESCE(rh.updated, 0)) AS updated,
            COUNT(*) AS households,
            SUM(COALESCE(vh.n, 0)) AS visits,
            SUM(CASE WHEN vh.n > 0 THEN 1 ELSE 0 END) AS households_visited,
            SUM(CASE WHEN rh.needed IS NOT NULL THEN 1 ELSE 0 END) AS households_needing,
            SUM(CASE WHEN rh.needed IS NOT NULL AND COALESCE(vh.n, 0) >= rh.needed
                THEN 1 ELSE 0 END) AS households_covered
        FROM hg
        LEFT JOIN rh ON rh.household_id = hg.id
        LEFT JOIN vh ON vh.household_id = hg.id
        GROUP BY hg.grid_id
    ),
    mv AS (
        SELECT v.grid_member_id, COUNT(*) AS visits,
            COUNT(DISTINCT v.household_id) AS households_visited
        FROM v JOIN hh ON hh.id = v.household_id
        GROUP BY v.grid_member_id
    )
    -- Sums are numeric on PostgreSQL (a Decimal, stored in a published version as a
    -- string): integers, as everywhere else.
    SELECT 'grid', grid_id,
        CAST(residents AS BIGINT),
        CAST(complete AS BIGINT),
        CAST(verified_recently AS BIGINT),
        CAST(new AS BIGINT),
        CAST(moved_out AS BIGINT),
        CAST(updated AS BIGINT),
        households,
        CAST(visits AS BIGINT),
        CAST(households_visited AS BIGINT),
        CAST(households_needing AS BIGINT),
        CAST(households_covered AS BIGINT)
    FROM gc
    UNION ALL
    SELECT 'member', mv.grid_member_id, CAST(mv.visits AS BIGINT),
        CAST(mv.households_visited AS BIGINT), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL
    FROM mv
    """


def _grid_counts_now_sql() -> str:
    """``_grid_counts_sql`` for the running month, from the live tables: the same rows.

    While the month runs, its end is now: no history entry is dated later, and the newest
    entry of every file, household, building and visit is the row as it stands, tags
    included (every write goes with its entry, in the same transaction). So the month-end
    snapshots are the tables themselves, read without ordering a million history rows, and
    the grid a resident or visit counts in is the one kept on its row (its household's
    building's grid: ``Resident.grid``, ``Visit.grid``). Only what happened during the month
    still comes from the history, from the month's own entries: files created, changed, and
    moved out (a "moved out" entry of the month whose previous entry, perhaps older, had an
    active status; looked up by file for those entries only). Households, residents, visits
    and tags are counted per grid each on their own, joined per grid at the end.
    ``tests/exports/test_running_month.py`` computes both on varied months and compares them.
    """
    history = history_table(Resident)
    residents = Resident._meta.db_table
    resident_tags = Resident.tags.through._meta.db_table
    households = Household._meta.db_table
    buildings = Building._meta.db_table
    visits = Visit._meta.db_table
    return f"""
    WITH m AS (
        SELECT h.id,
            MAX(CASE WHEN h.history_type = '+' THEN 1 ELSE 0 END) AS created,
            MAX(CASE WHEN h.history_type = '~' THEN 1 ELSE 0 END) AS changed,
            MAX(CASE WHEN h.residency_status = '{_MOVED_OUT}' AND (
                SELECT p.residency_status FROM {history} p
                WHERE p.id = h.id AND (p.history_date < h.history_date
                    OR (p.history_date = h.history_date AND p.history_id < h.history_id))
                ORDER BY p.history_date DESC, p.history_id DESC
                LIMIT 1
            ) IN {_in(_ACTIVE)} THEN 1 ELSE 0 END) AS moved_out
        FROM {history} h
        WHERE h.history_date >= %(start)s AND h.history_date < %(next)s
        GROUP BY h.id
    ),
    rc AS (
        SELECT r.grid_id,
            SUM(CASE WHEN r.residency_status IN {_in(_ACTIVE)} THEN 1 ELSE 0 END) AS residents,
            SUM(CASE WHEN r.residency_status IN {_in(_ACTIVE)} AND {_complete_condition("r")}
                THEN 1 ELSE 0 END) AS complete,
            SUM(CASE WHEN r.residency_status IN {_in(_ACTIVE)}
                AND r.last_verified_at >= %(verified_since)s THEN 1 ELSE 0 END)
                AS verified_recently,
            SUM(COALESCE(m.created, 0)) AS new,
            SUM(CASE WHEN r.residency_status = '{_MOVED_OUT}' THEN COALESCE(m.moved_out, 0)
                ELSE 0 END) AS moved_out,
            SUM(COALESCE(m.changed, 0)) AS updated
        FROM {residents} r LEFT JOIN m ON m.id = r.id
        GROUP BY r.grid_id
    ),
    hc AS (
        SELECT b.grid_id, COUNT(*) AS households
        FROM {households} h JOIN {buildings} b ON b.id = h.building_id
        GROUP BY b.grid_id
    ),
    v AS (
        SELECT household_id, grid_member_id, grid_id FROM {visits}
        WHERE visited_at >= %(start)s AND visited_at < %(next)s
    ),
    vh AS (
        SELECT household_id, MAX(grid_id) AS grid_id, COUNT(*) AS n
        FROM v GROUP BY household_id
    ),
    vg AS (
        SELECT grid_id, SUM(n) AS visits, COUNT(*) AS households_visited
        FROM vh GROUP BY grid_id
    ),
    -- Per household with an active resident whose tag asks for visits: the most any asks.
    nd AS (
        SELECT r.household_id, MAX(r.grid_id) AS grid_id, MAX(t.needs_visits_per_month) AS needed
        FROM {resident_tags} rt
        JOIN {Tag._meta.db_table} t ON t.id = rt.tag_id
        JOIN {residents} r ON r.id = rt.resident_id
        WHERE t.needs_visits_per_month > 0 AND r.residency_status IN {_in(_ACTIVE)}
        GROUP BY r.household_id
    ),
    nc AS (
        SELECT nd.grid_id, COUNT(*) AS households_needing,
            SUM(CASE WHEN COALESCE(vh.n, 0) >= nd.needed THEN 1 ELSE 0 END)
                AS households_covered
        FROM nd LEFT JOIN vh ON vh.household_id = nd.household_id
        GROUP BY nd.grid_id
    ),
    mv AS (
        SELECT grid_member_id, COUNT(*) AS visits,
            COUNT(DISTINCT household_id) AS households_visited
        FROM v GROUP BY grid_member_id
    )
    SELECT 'grid', hc.grid_id,
        CAST(COALESCE(rc.residents, 0) AS BIGINT),
        CAST(COALESCE(rc.complete, 0) AS BIGINT),
        CAST(COALESCE(rc.verified_recently, 0) AS BIGINT),
        CAST(COALESCE(rc.new, 0) AS BIGINT),
        CAST(COALESCE(rc.moved_out, 0) AS BIGINT),
        CAST(COALESCE(rc.updated, 0) AS BIGINT),
        hc.households,
        CAST(COALESCE(vg.visits, 0) AS BIGINT),
        CAST(COALESCE(vg.households_visited, 0) AS BIGINT),
        CAST(COALESCE(nc.households_needing, 0) AS BIGINT),
        CAST(COALESCE(nc.households_covered, 0) AS BIGINT)
    FROM hc
    LEFT JOIN rc ON rc.grid_id = hc.grid_id
    LEFT JOIN vg ON vg.grid_id = hc.grid_id
    LEFT JOIN nc ON nc.grid_id = hc.grid_id
    UNION ALL
    SELECT 'member', mv.grid_member_id, CAST(mv.visits AS BIGINT),
        CAST(mv.households_visited AS BIGINT), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL
    FROM mv
    """


def _visits_cte() -> str:
    return f"""
    v AS (
        SELECT * FROM (
            {latest_history_rows(Visit, ["household_id", "grid_member_id", "visited_at"])}
        ) AS lv
        WHERE visited_at >= %(start)s AND visited_at < %(next)s
    )"""


def _building_counts(params: dict) -> list[_BuildingCounts]:
    return [_BuildingCounts(*row) for row in fetch_all(_building_counts_sql(), params)]


def _building_counts_sql() -> str:
    buildings = latest_history_rows(Building, ["grid_id", "latitude"])
    return f"""
    SELECT grid_id, COUNT(*), SUM(CASE WHEN latitude IS NOT NULL THEN 1 ELSE 0 END)
    FROM ({buildings}) AS b GROUP BY grid_id
    """


def _grids_at_month_end(params: dict) -> list[_GridAtMonthEnd]:
    """Grids with their community and street as they stood at month end (grids get redrawn)."""
    return [_GridAtMonthEnd(*row) for row in fetch_all(_grids_at_month_end_sql(), params)]


def _grids_at_month_end_sql() -> str:
    return f"""
    WITH g AS ({latest_history_rows(Grid, ["code", "name", "community_id"])}),
    c AS ({latest_history_rows(Community, ["name", "street_id"])}),
    s AS ({latest_history_rows(Street, ["code", "name"])})
    SELECT g.id, g.code, g.name, c.name, s.id, s.code, s.name
    FROM g JOIN c ON c.id = g.community_id JOIN s ON s.id = c.street_id
    ORDER BY s.code, g.code
    """


# The report's figures ----------------------------------------------------------------------------


def month_figures(
    month: dt.date, *, street: Street | None = None, weights: dict[str, float] | None = None
) -> MonthFigures:
    """Every figure of the monthly report for ``month`` (any day in it): its grids, grid
    members and streets, and their total, for the grids that belonged to ``street`` at month
    end, or for the whole city.

    A constant number of queries: one per figure family, whatever the number of grids.
    """
    # On the database the router reads the figures from (a replica for reports, if any).
    with transaction.atomic(using=figures_database()):
        whole_table_joins()
        return _month_figures(month, street, report_weights() if weights is None else weights)


def month_counts_keep(month: dt.date) -> bool:
    """Compute and keep the history figures of ``month`` (any day in it), unless kept already
    from the same inputs; whether the month may be kept at all (a month over for
    ``exports.kept.keep_after()``). The nightly task asks it for last month, so that no report
    of a month that is over waits for its history."""
    if not kept.may_keep(month, timezone.now()):
        return False
    with transaction.atomic(using=figures_database()):
        whole_table_joins()
        _history_counts(month, _query_params(month))
    return True


def report_figures(
    month: dt.date, street: Street | None, published: MonthlyReport | None
) -> MonthFigures:
    """What the report of ``month`` for ``street`` shows: its ``published`` version's stored
    figures (what its files say), else the month's figures computed now (a draft)."""
    if published is not None:
        if published.figures is None:
            # Publishing stores the figures with the files, so a published version has them.
            raise ValueError(f"Published report {published.pk} has no stored figures")
        return figures_from_json(published.figures)
    return month_figures(month, street=street)


def _month_figures(month: dt.date, street: Street | None, weights: dict) -> MonthFigures:
    first = first_day(month)
    history = _history_counts(month, _query_params(month))
    grids = history.grids
    if street is not None:
        grids = [grid for grid in grids if grid.street_id == street.pk]
    grid_ids = [grid.grid_id for grid in grids]
    counts, member_visits = _counts_by_grid(history, first, grid_ids)
    start, following = month_bounds(month)
    patrols = patrol_month_counts(start=start, end=following, grid_ids=grid_ids)
    events = event_counts_by_grid(month, grid_ids)
    for grid_id, grid_counts in counts.items():
        grid_counts.patrol = _patrol_figures(patrols.by_grid.get(grid_id))
        grid_counts.events = events.get(grid_id) or EventCounts()
    covered = buildings_covered_by_member_grid(start=start, end=following, grid_ids=grid_ids)
    members = _members_of(list(counts))
    grid_rows = _grid_rows(grids, counts, members, weights)
    street_rows = _street_rows(grid_rows, weights)
    wish_communities, wish_departments = _wish_rows(month, street)
    total = MonthCounts()
    for row in street_rows:
        total.add(row.counts)
    return MonthFigures(
        month=first,
        street=_scope_row(street, street_rows),
        grids=grid_rows,
        members=_member_rows(
            grid_rows,
            members,
            member_visits,
            _MemberPatrols(patrols.by_member, covered),
            weights,
        ),
        streets=street_rows,
        total=total,
        weights=weights,
        total_score=total.score(weights),
        departments=_department_rows(month, None if street is None else grid_ids),
        wish_communities=wish_communities,
        wish_departments=wish_departments,
    )


def _wish_rows(
    month: dt.date, street: Street | None
) -> tuple[list[WishFigures], list[WishFigures]]:
    """The micro-wishes' figures per community (today's communities: wishes belong to a
    community, not a grid) and per department: every department for the city's report, those
    that claimed the street's wishes for a street's. Seven queries (eight for a street)."""
    communities = (
        None
        if street is None
        else list(Community.objects.filter(street=street).values_list("pk", flat=True))
    )
    departments = wish_month_figures(month, by="department", communities=communities)
    if street is not None:
        departments = [row for row in departments if any(row.counts())]
    return wish_month_figures(month, by="community", communities=communities), departments


def _department_rows(month: dt.date, grid_ids: list[int] | None) -> list[DepartmentRow]:
    """The departments' event figures, by code: every department for the city's report, those
    with a figure among the street's events for a street's. Departments are those of today."""
    departments = list(Department.objects.order_by("code").values_list("pk", "code", "name"))
    counts = event_counts_by_department(
        month, [pk for pk, *_rest in departments], grid_ids=grid_ids
    )
    return [
        DepartmentRow(department_id=pk, code=code, name=name, events=counts[pk])
        for pk, code, name in departments
        if grid_ids is None or counts[pk] != EventCounts()
    ]


def _patrol_figures(counts: PatrolCounts | None) -> PatrolCounts:
    """A grid's or member's patrol figures, a copy of their own (none counted: zeros, they
    had no round)."""
    return replace(counts) if counts is not None else PatrolCounts()


class _HistoryCounts(NamedTuple):
    """What a month's figures read from the history tables alone (and the visits each tag
    asks for): the grids at month end, each grid's residents, households and visits, each grid
    member's visits, each grid's buildings. Kept for a month that is over (``exports.kept``)."""

    grids: list[_GridAtMonthEnd]
    counts: list[_GridCounts]
    members: list[_MemberVisits]
    buildings: list[_BuildingCounts]


def _history_counts(month: dt.date, params: dict) -> _HistoryCounts:
    """The month's history figures: kept ones when the month is over and they were computed
    from the same inputs (the queries, their parameters, the visits each tag asks for), else
    computed now, and kept when the month may be (``exports.kept.may_keep``)."""
    moment = timezone.now()
    if not kept.may_keep(month, moment):
        return _history_counts_computed(params, now=kept.reads_live_tables(month, moment))
    needs = Tag.objects.filter(needs_visits_per_month__gt=0).order_by("pk")
    fingerprint = kept.fingerprint(
        [
            _grids_at_month_end_sql(),
            _grid_counts_sql(),
            _building_counts_sql(),
            params,
            list(needs.values_list("pk", "needs_visits_per_month")),
        ]
    )
    stored = kept.kept_counts(month, fingerprint)
    if stored is not None:
        return _HistoryCounts(
            grids=[_GridAtMonthEnd(*row) for row in stored["grids"]],
            counts=[_GridCounts(*row) for row in stored["counts"]],
            members=[_MemberVisits(*row) for row in stored["members"]],
            buildings=[_BuildingCounts(*row) for row in stored["buildings"]],
        )
    history = _history_counts_computed(params)
    kept.counts_keep(month, fingerprint, history._asdict())
    return history


def _history_counts_computed(params: dict, *, now: bool = False) -> _HistoryCounts:
    """The month's history figures computed; ``now``: the month is running, and its residents,
    households and visits are read from the live tables (``_grid_counts_now_sql``)."""
    grids = _grids_at_month_end(params)
    grid_and_members = _grid_counts(params, now=now)
    return _HistoryCounts(
        grids=grids,
        counts=grid_and_members.grids,
        members=grid_and_members.members,
        buildings=_building_counts(params),
    )


def _query_params(month: dt.date) -> dict:
    start, following = month_bounds(month)
    adapt = figures_connection().ops.adapt_datetimefield_value
    return {
        "start": adapt(start),
        "next": adapt(following),
        # Verified within VERIFY_EVERY of the month's end, or of now for this month: what the
        # dashboard shows today.
        "verified_since": adapt(verified_since(figures_as_of(month, timezone.now()))),
    }


def _counts_by_grid(
    history: "_HistoryCounts", month: dt.date, grid_ids: list[int]
) -> tuple[dict[int, MonthCounts], list[_MemberVisits]]:
    """{grid ID: its month's counts}, for ``grid_ids``, and the visits each grid member
    logged: each query's row fills the fields it names; the audits come from
    ``audits.selectors``."""
    counts = {grid_id: MonthCounts() for grid_id in grid_ids}
    for rows in (history.counts, history.buildings):
        for row in rows:
            if (grid := counts.get(row.grid_id)) is not None:
                for name, value in row._asdict().items():
                    if name != "grid_id":
                        setattr(grid, name, value)
    for grid_id, audit in grid_audit_figures(month, grid_ids).items():
        counts[grid_id].audit = audit
    return counts, history.members


@dataclass
class _Members:
    """Who works which grids, with their user objects. Grid membership is not historied: the
    members are those of today."""

    of_grid: dict[int, list[int]]  # grid ID: user IDs
    grids_of: dict[int, list[int]]  # user ID: grid IDs
    users: dict[int, Actor]


def _members_of(grid_ids: list[int]) -> _Members:
    memberships = Grid.members.through.objects.filter(grid_id__in=grid_ids)
    of_grid: dict[int, list[int]] = defaultdict(list)
    grids_of: dict[int, list[int]] = defaultdict(list)
    for grid_id, user_id in memberships.values_list("grid_id", "user_id"):
        of_grid[grid_id].append(user_id)
        grids_of[user_id].append(grid_id)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(grids_of))}
    return _Members(of_grid=of_grid, grids_of=grids_of, users=users)


def _grid_rows(
    grids: list[_GridAtMonthEnd],
    counts: dict[int, MonthCounts],
    members: _Members,
    weights: dict,
) -> list[GridRow]:
    """One row per grid, in street and grid code order, scored and ranked within its street."""
    rows = []
    for grid in grids:
        row = GridRow(
            grid_id=grid.grid_id,
            code=grid.code,
            name=grid.name,
            community=grid.community,
            street_id=grid.street_id,
            street_code=grid.street_code,
            street=grid.street,
            members=sorted(
                person_name(members.users[u])
                for u in members.of_grid[grid.grid_id]
                if u in members.users
            ),
            counts=counts[grid.grid_id],
        )
        row.score = row.counts.score(weights)
        rows.append(row)
    _rank_within_streets(rows)
    return rows


def _street_rows(grid_rows: list[GridRow], weights: dict) -> list[StreetRow]:
    """One row per street with a grid at month end: its grids' counts added up."""
    streets: dict[int, StreetRow] = {}
    for row in grid_rows:
        streets.setdefault(
            row.street_id,
            StreetRow(
                street_id=row.street_id, code=row.street_code, name=row.street, counts=MonthCounts()
            ),
        ).counts.add(row.counts)
    street_rows = sorted(streets.values(), key=lambda s: s.code)
    for street_row in street_rows:
        street_row.score = street_row.counts.score(weights)
    return street_rows


def _scope_row(street: Street | None, street_rows: list[StreetRow]) -> StreetRow | None:
    """The report's scope: the street's row, or None for the whole city. A street with no grid
    at month end is still the report's scope, not the city."""
    if street is None:
        return None
    for row in street_rows:
        if row.street_id == street.pk:
            return row
    return StreetRow(street_id=street.pk, code=street.code, name=street.name, counts=MonthCounts())


class _MemberPatrols(NamedTuple):
    of_member: dict[int, PatrolCounts]  # their rounds in the report's grids, their visits
    covered: dict[tuple[int, int], int]  # (member ID, grid ID): buildings they passed


def _member_rows(
    grid_rows: list[GridRow],
    members: _Members,
    visits: list[_MemberVisits],
    patrols: _MemberPatrols,
    weights: dict,
) -> list[MemberRow]:
    """One row per grid member: their grids' counts added up, but the visits they logged
    and the patrol rounds they walked themselves (in the report's grids), and the buildings
    of their grids they passed; by their first grid's code, then name."""
    code_of = {row.grid_id: row.code for row in grid_rows}
    counts_of = {row.grid_id: row.counts for row in grid_rows}
    own_visits = {v.user_id: v for v in visits if v.user_id in members.grids_of}
    rows = []
    for user_id, grid_ids in members.grids_of.items():
        counts = MonthCounts()
        for grid_id in grid_ids:
            counts.add(counts_of[grid_id])
        own = own_visits.get(user_id)
        counts.visits = own.visits if own else 0
        counts.households_visited = own.households_visited if own else 0
        counts.patrol = _patrol_figures(patrols.of_member.get(user_id))
        counts.patrol.buildings_covered = sum(
            patrols.covered.get((user_id, g), 0) for g in grid_ids
        )
        rows.append(
            MemberRow(
                user_id=user_id,
                name=person_name(members.users[user_id]),
                grids=sorted(code_of[g] for g in grid_ids),
                counts=counts,
                score=counts.score(weights),
            )
        )
    rows.sort(key=lambda m: (m.grids[0], m.name))
    return rows


class _ScoredGrid(NamedTuple):
    """A grid's row with its score, known not to be None."""

    score: float
    row: GridRow


def _rank_within_streets(rows: list[GridRow]) -> None:
    """1 for the best score in each street; equal scores share a rank; no score, no rank."""
    by_street: dict[int, list[_ScoredGrid]] = defaultdict(list)
    for row in rows:
        if row.score is not None:
            by_street[row.street_id].append(_ScoredGrid(row.score, row))
    for street_rows in by_street.values():
        street_rows.sort(key=lambda scored: -scored.score)
        for position, scored in enumerate(street_rows, start=1):
            previous = street_rows[position - 2] if position > 1 else None
            scored.row.rank = (
                previous.row.rank if previous and previous.score == scored.score else position
            )
