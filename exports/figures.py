"""What the monthly report is made of: plain rows of figures per grid, grid member and street,
and their total, as ``exports.selectors`` computes them and the page, the workbook and the PDF
draw them; and their JSON form, which a published version stores.

Figures are counts that add up (a street's figures are the sums of its grids'); rates are
worked out from the counts, and are None where nothing was counted ("no audit", "no household
needs visits"), never 0.

A version published before patrol rounds were counted stores no patrol figures: its
``MonthCounts.patrol`` is None, shown as "—", never as 0 rounds. Likewise one published before
events were counted: ``MonthCounts.events`` is None and it has no department rows. And one
published before micro-wishes were counted: ``MonthFigures.wish_communities`` is None.
"""

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audits.selectors import Figures as AuditFigures
from audits.stats import Rate
from events.selectors import EventCounts
from patrols.selectors import PatrolCounts
from wishes.selectors.figures import WishFigures, wish_figures_total

#: The score's parts, in the order the report shows them.
SCORE_PARTS = ("completeness", "timeliness", "coverage", "accuracy", "satisfaction", "patrol")


def report_weights() -> dict[str, float]:
    """The score weights (``MONTHLY_REPORT_WEIGHTS``, checked at start-up by the settings)."""
    return {part: settings.MONTHLY_REPORT_WEIGHTS.get(part, 0) for part in SCORE_PARTS}


#: MonthCounts' fields that are not plain counts.
_NOT_ADDED = ("audit", "patrol", "events")


@dataclass
class MonthCounts:
    """A month's additive counts of one group (a grid, a member's grids, a street, the
    city), as at the month's end; its rates are worked out from them."""

    residents: int = 0  # active (registered or floating) at month end
    households: int = 0
    buildings: int = 0
    new: int = 0
    moved_out: int = 0
    updated: int = 0
    complete: int = 0
    verified_recently: int = 0
    visits: int = 0
    households_visited: int = 0
    households_needing: int = 0
    households_covered: int = 0
    buildings_mapped: int = 0  # buildings with a position on the map at month end
    audit: AuditFigures | None = None
    patrol: PatrolCounts | None = None  # None: a version published before patrols counted
    events: EventCounts | None = None  # None: a version published before events counted

    def add(self, other: "MonthCounts") -> None:
        for f in fields(self):
            if f.name in _NOT_ADDED:
                continue
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        if other.audit is not None:
            if self.audit is None:
                self.audit = AuditFigures()
            self.audit.add(other.audit)
        if other.patrol is not None:
            if self.patrol is None:
                self.patrol = PatrolCounts()
            self.patrol.add(other.patrol)
        if other.events is not None:
            if self.events is None:
                self.events = EventCounts()
            self.events.add(other.events)

    @property
    def events_within_goal(self) -> Rate | None:
        """Events settled within the goal, of those settled in the month."""
        return self.events.within_goal if self.events is not None else None

    @property
    def completeness(self) -> Rate:
        return Rate(self.complete, self.residents)

    @property
    def timeliness(self) -> Rate:
        return Rate(self.verified_recently, self.residents)

    @property
    def coverage(self) -> Rate:
        return Rate(self.households_covered, self.households_needing)

    @property
    def record_accuracy(self) -> Rate | None:
        return self.audit.record_accuracy if self.audit else None

    @property
    def field_accuracy(self) -> Rate | None:
        return self.audit.field_accuracy if self.audit else None

    @property
    def satisfaction(self) -> float | None:
        return self.audit.satisfaction if self.audit else None

    @property
    def items_audited(self) -> int | None:
        return self.audit.checked if self.audit else None

    @property
    def building_coverage(self) -> Rate | None:
        """Buildings the month's rounds passed, of all the group's buildings (at most all: a
        building passed and deleted before the month ended is not among them)."""
        if self.patrol is None:
            return None
        return Rate(min(self.patrol.buildings_covered, self.buildings), self.buildings)

    @property
    def on_track(self) -> Rate | None:
        """Visits on-track, of all the visits the rule judged."""
        if self.patrol is None:
            return None
        return Rate(self.patrol.visits_on_track, self.patrol.visits)

    @property
    def patrol_part(self) -> float | None:
        """The score's patrol part: the mean of the building coverage and the on-track share
        of visits, of those there are; None when the group has no building on the map (no
        round can pass one, no visit can be on-track) or no patrol figures."""
        if self.patrol is None or not self.buildings_mapped:
            return None
        shares = [
            rate.value
            for rate in (self.building_coverage, self.on_track)
            if rate is not None and rate.value is not None
        ]
        return sum(shares) / len(shares) if shares else None

    def score_parts(self) -> dict[str, float | None]:
        """Each part as a share between 0 and 1, or None when there is nothing to judge."""
        satisfaction = self.satisfaction
        accuracy = self.record_accuracy
        return {
            "completeness": self.completeness.value,
            "timeliness": self.timeliness.value,
            "coverage": self.coverage.value,
            "accuracy": accuracy.value if accuracy else None,
            # 1 to 5 mapped onto 0 to 1.
            "satisfaction": (satisfaction - 1) / 4 if satisfaction is not None else None,
            "patrol": self.patrol_part,
        }

    def score(self, weights: dict[str, float]) -> float | None:
        """0 to 100: the weighted mean of the parts there are. A part without data (no audit,
        no household needing visits) leaves the mean over the others, rather than counting
        as 0 against a grid that had nothing to be judged on."""
        total = weight_sum = 0.0
        for name, value in self.score_parts().items():
            weight = weights.get(name, 0)
            if value is not None and weight > 0:
                total += weight * value
                weight_sum += weight
        return round(100 * total / weight_sum, 1) if weight_sum else None


@dataclass
class GridRow:
    grid_id: int
    code: str
    name: str
    community: str
    street_id: int
    street_code: str
    street: str
    members: list[str]
    counts: MonthCounts
    score: float | None = None
    rank: int | None = None  # within the street, 1 = best


@dataclass
class MemberRow:
    user_id: int
    name: str
    grids: list[str]
    counts: MonthCounts  # their grids' figures, with the visits they logged themselves
    score: float | None = None


@dataclass
class StreetRow:
    street_id: int
    code: str
    name: str
    counts: MonthCounts
    score: float | None = None


@dataclass
class DepartmentRow:
    """A functional department's event figures for the month."""

    department_id: int
    code: str
    name: str
    events: EventCounts


@dataclass
class CommunityRow:
    """A community's figures: its grids' counts added up (worked out from the grid rows, so
    a published version has them too)."""

    street: str
    name: str
    grids: int
    counts: MonthCounts


@dataclass
class MonthFigures:
    month: dt.date  # the first day
    street: StreetRow | None  # None: the whole city
    grids: list[GridRow]
    members: list[MemberRow]
    streets: list[StreetRow]
    total: MonthCounts
    weights: dict[str, float]
    total_score: float | None = None
    generated_at: dt.datetime = field(default_factory=timezone.now)
    #: The departments' event figures (none in a version published before events counted).
    departments: list[DepartmentRow] = field(default_factory=list)
    #: The micro-wishes' figures per community, by street and code (None: a version published
    #: before wishes were counted), and per department.
    wish_communities: list[WishFigures] | None = None
    wish_departments: list[WishFigures] = field(default_factory=list)

    def wish_streets(self) -> list[WishFigures]:
        """The wish figures per street: its communities' added up, in their order."""
        streets: dict[str, list[WishFigures]] = {}
        for row in self.wish_communities or []:
            streets.setdefault(row.street, []).append(row)
        return [wish_figures_total(rows, name=name) for name, rows in streets.items()]

    def wish_total(self) -> WishFigures | None:
        """The report's wish figures: every community's added up; None when not counted."""
        if self.wish_communities is None:
            return None
        return wish_figures_total(self.wish_communities)

    def communities(self) -> list[CommunityRow]:
        """One row per community with a grid in the report, in the grids' order."""
        rows: dict[tuple[int, str], CommunityRow] = {}
        for grid in self.grids:
            row = rows.setdefault(
                (grid.street_id, grid.community),
                CommunityRow(grid.street, grid.community, 0, MonthCounts()),
            )
            row.grids += 1
            row.counts.add(grid.counts)
        return list(rows.values())


# A published version's figures -----------------------------------------------------------------


def figures_as_json(figures: MonthFigures) -> dict:
    """``figures`` as a published version stores them."""
    return json.loads(json.dumps(asdict(figures), cls=DjangoJSONEncoder))


def _month_counts(data: dict) -> MonthCounts:
    """A stored group's counts; a field it predates (``buildings_mapped``, ``patrol``,
    ``events``) keeps its "not counted" default."""
    audit, patrol = data.get("audit"), data.get("patrol")
    # int(): versions published from PostgreSQL before 2026-12-03 stored the visits as a
    # string ("11"), and adding them up (a community's row) failed.
    values = {
        f.name: int(data[f.name])
        for f in fields(MonthCounts)
        if f.name not in _NOT_ADDED and f.name in data
    }
    return MonthCounts(
        **values,
        audit=AuditFigures(**audit) if audit is not None else None,
        patrol=PatrolCounts(**patrol) if patrol is not None else None,
        events=_event_counts(data.get("events")),
    )


def _event_counts(data: dict | None) -> EventCounts | None:
    return EventCounts(**data) if data is not None else None


def figures_from_json(data: dict) -> MonthFigures:
    """The ``MonthFigures`` a published version stored (``figures_as_json``): its page shows
    what was frozen, not the archive of today."""

    def street_row(row: dict) -> StreetRow:
        return StreetRow(**{**row, "counts": _month_counts(row["counts"])})

    return MonthFigures(
        month=parse_date(data["month"]) or dt.date.min,
        street=street_row(data["street"]) if data.get("street") else None,
        grids=[GridRow(**{**row, "counts": _month_counts(row["counts"])}) for row in data["grids"]],
        members=[
            MemberRow(**{**row, "counts": _month_counts(row["counts"])}) for row in data["members"]
        ],
        streets=[street_row(row) for row in data["streets"]],
        total=_month_counts(data["total"]),
        weights=data["weights"],
        total_score=data.get("total_score"),
        generated_at=parse_datetime(data["generated_at"]) or dt.datetime.min,
        departments=[
            DepartmentRow(**{**row, "events": _event_counts(row["events"]) or EventCounts()})
            for row in data.get("departments", [])
        ],
        wish_communities=_wish_rows(data.get("wish_communities")),
        wish_departments=_wish_rows(data.get("wish_departments")) or [],
    )


def _wish_rows(rows: list[dict] | None) -> list[WishFigures] | None:
    return None if rows is None else [WishFigures(**row) for row in rows]
