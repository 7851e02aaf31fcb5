"""The report page's summary table: one row per grid with the report's headline figures,
sortable by any column. Only draws rows ``exports.selectors`` computed (or a published
version's stored figures, ``exports.figures.figures_from_json``), formatted as the files format
them.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from exports.columns import ALL_COLUMNS, DECIMAL, INTEGER, PERCENT, empty_text
from exports.figures import GridRow, MonthCounts, MonthFigures

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: What a cell sorts on: text (codes, names) or a figure; None (no figure) sorts last.
SortValue = str | float | None

#: The figure columns the page shows, in the report's order (the files have them all).
SHOWN = ["residents", "new", "completeness", "timeliness", "visits", "coverage"]
SHOWN += ["record_accuracy", "satisfaction", "items_audited"]
SHOWN += ["patrol_km", "building_coverage", "on_track"]
_BY_KEY = {column.key: column for column in ALL_COLUMNS}


@dataclass(frozen=True)
class Header:
    key: str
    label: "StrOrPromise"
    numeric: bool


@dataclass
class Cell:
    text: str
    sort: SortValue  # what the column sorts on


@dataclass
class SummaryRow:
    cells: list[Cell]


def headers() -> list[Header]:
    return [
        Header("street", _("Street"), False),
        Header("grid", _("Grid"), False),
        Header("members", _("Grid members"), False),
        *[Header(key, _BY_KEY[key].label, True) for key in SHOWN],
        Header("score", _("Score"), True),
        Header("rank", _("Rank in street"), True),
    ]


def _figure(key: str, counts: MonthCounts) -> Cell:
    column = _BY_KEY[key]
    value = column.value(counts)
    if value is None:
        return Cell(str(empty_text(column)), None)
    if column.kind == PERCENT:
        return Cell(f"{formats.number_format(100 * value, 1)}%", value)
    if column.kind == DECIMAL:
        return Cell(formats.number_format(value, 2), value)
    if column.kind == INTEGER:
        return Cell(formats.number_format(value, force_grouping=True), value)
    return Cell(str(value), value)


def _row(row: GridRow) -> SummaryRow:
    return SummaryRow(
        [
            Cell(row.street, row.street_code),
            Cell(f"{row.name}（{row.code}）", row.code),
            Cell("、".join(row.members), "、".join(row.members)),
            *[_figure(key, row.counts) for key in SHOWN],
            Cell(formats.number_format(row.score, 1) if row.score is not None else "—", row.score),
            Cell(str(row.rank) if row.rank is not None else "—", row.rank),
        ]
    )


def total_row(label: str, counts: MonthCounts, score: float | None) -> SummaryRow:
    return SummaryRow(
        [
            Cell(str(label), None),
            Cell("", None),
            Cell("", None),
            *[_figure(key, counts) for key in SHOWN],
            Cell(formats.number_format(score, 1) if score is not None else "—", score),
            Cell("", None),
        ]
    )


class _Keyed(NamedTuple):
    """A row with what its sorted column holds, known not to be None."""

    sort: str | float
    row: SummaryRow


def summary_rows(figures: MonthFigures, sort: str, descending: bool) -> list[SummaryRow]:
    """The grids' rows sorted on column ``sort`` (a header key; unknown: the report's order).
    Cells without a figure ("no audit", "—") come last whichever the direction."""
    rows = [_row(row) for row in figures.grids]
    keys = [header.key for header in headers()]
    if sort not in keys:
        return rows
    index = keys.index(sort)
    present: list[_Keyed] = []
    missing: list[SummaryRow] = []
    for row in rows:
        value = row.cells[index].sort
        if value is None:
            missing.append(row)
        else:
            present.append(_Keyed(value, row))
    present.sort(key=lambda keyed: keyed.sort, reverse=descending)
    return [keyed.row for keyed in present] + missing
