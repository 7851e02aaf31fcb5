"""The monthly report as an Excel workbook: it only draws the rows ``exports.selectors`` computed.

Written in openpyxl's write-only mode (rows streamed, a 2,000-grid city stays small in memory).
Every string is written as a string: a grid or person named ``=…`` is text, never a formula.
"""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.columns import (
    ALL_COLUMNS,
    DECIMAL,
    EVENT_COLUMNS,
    INTEGER,
    NO_DATA,
    PERCENT,
    WISH_COLUMNS,
    WISH_DEPARTMENT_COLUMNS,
    WishColumn,
    definitions,
    empty_text,
    event_value,
    weight_rows,
)
from exports.figures import GridRow, MonthCounts, MonthFigures
from wishes.selectors.figures import WishFigures

NUMBER_FORMATS = {INTEGER: "#,##0", PERCENT: "0.0%", DECIMAL: "0.00"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_TOTAL_FONT = Font(bold=True)
_SHEET_NAME_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


def month_label(figures: MonthFigures) -> str:
    return _("%(year)d-%(month)02d") % {"year": figures.month.year, "month": figures.month.month}


def scope_label(figures: MonthFigures) -> str:
    return figures.street.name if figures.street else _("whole city")


def _print_setup(ws) -> None:
    """Offices print the report: landscape, every column on one page wide (as many pages
    down as it takes), the header row on every page and page numbers in the footer. Without
    it LibreOffice printed the city workbook on 59 pages, four columns on the first."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    # &P and &N are the spreadsheet's page number and count.
    ws.oddFooter.center.text = _("Page &P of &N")
    ws.oddHeader.center.text = "&A"  # the sheet's name


class _Sheet:
    """A write-only sheet with the report's cell conventions."""

    def __init__(self, workbook: Workbook, title: str) -> None:
        self.ws = workbook.create_sheet(title=title.translate(_SHEET_NAME_BAD)[:31])
        self.rows = 0
        _print_setup(self.ws)

    def cell(self, value, *, number_format: str | None = None, font: Font | None = None):
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        return cell

    def header(self, labels: list[str], widths: list[int]) -> None:
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        row = []
        for label in labels:
            cell = self.cell(str(label), font=_HEADER_FONT)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            row.append(cell)
        self.append(row)

    def append(self, row: list) -> None:
        self.ws.append(row)
        self.rows += 1

    def figures(self, counts: MonthCounts, *, font: Font | None = None) -> list:
        cells = []
        for column in ALL_COLUMNS:
            value = column.value(counts)
            if value is None:
                cells.append(self.cell(empty_text(column), font=font))
            else:
                cells.append(self.cell(value, number_format=NUMBER_FORMATS[column.kind], font=font))
        return cells


def _grid_labels() -> list[str]:
    return [
        _("Street"),
        _("Community"),
        _("Grid code"),
        _("Grid"),
        _("Grid members"),
        *[str(c.label) for c in ALL_COLUMNS],
        _("Score"),
        _("Rank in street"),
    ]


_GRID_WIDTHS = [12, 14, 10, 16, 18, *[11] * len(ALL_COLUMNS), 9, 9]


def _grid_row(sheet: _Sheet, row: GridRow) -> list:
    return [
        sheet.cell(row.street),
        sheet.cell(row.community),
        sheet.cell(row.code),
        sheet.cell(row.name),
        sheet.cell("、".join(row.members)),
        *sheet.figures(row.counts),
        _score_cell(sheet, row.score),
        sheet.cell(row.rank) if row.rank is not None else sheet.cell("—"),
    ]


def _score_cell(sheet: _Sheet, score: float | None, *, font: Font | None = None):
    if score is None:
        return sheet.cell("—", font=font)
    return sheet.cell(score, number_format="0.0", font=font)


def _total_row(sheet: _Sheet, label: str, counts: MonthCounts, score: float | None) -> list:
    blanks = [sheet.cell("") for _ in range(4)]
    return [
        sheet.cell(label, font=_TOTAL_FONT),
        *blanks,
        *sheet.figures(counts, font=_TOTAL_FONT),
        _score_cell(sheet, score, font=_TOTAL_FONT),
        sheet.cell(""),
    ]


def _finish_grid_sheet(sheet: _Sheet, grid_rows: int, *, chart: bool) -> None:
    last_column = get_column_letter(len(_GRID_WIDTHS))
    score_column = get_column_letter(len(_GRID_WIDTHS) - 1)
    ws = sheet.ws
    if grid_rows:
        ws.auto_filter.ref = f"A1:{last_column}{grid_rows + 1}"
        ws.conditional_formatting.add(
            f"{score_column}2:{score_column}{grid_rows + 1}",
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="F8696B",
                mid_type="num",
                mid_value=60,
                mid_color="FFEB84",
                end_type="num",
                end_value=100,
                end_color="63BE7B",
            ),
        )
    if chart and grid_rows:
        bars = BarChart()
        bars.type = "col"
        bars.title = _("Score by grid")
        bars.y_axis.title = _("Score")
        bars.y_axis.scaling.min = 0
        bars.y_axis.scaling.max = 100
        bars.legend = None
        score_index = len(_GRID_WIDTHS) - 1
        bars.add_data(
            Reference(ws, min_col=score_index, min_row=1, max_row=grid_rows + 1),
            titles_from_data=True,
        )
        bars.set_categories(Reference(ws, min_col=4, min_row=2, max_row=grid_rows + 1))
        bars.width = max(18, min(60, grid_rows * 0.5))
        bars.height = 9
        ws.add_chart(bars, f"A{grid_rows + 4}")


def _grid_sheet(workbook: Workbook, title: str, rows: list[GridRow], totals: list) -> None:
    sheet = _Sheet(workbook, title)
    sheet.ws.freeze_panes = "E2"  # write-only: sheet views go out before the first row
    sheet.header(_grid_labels(), _GRID_WIDTHS)
    for row in rows:
        sheet.append(_grid_row(sheet, row))
    _finish_grid_sheet(sheet, len(rows), chart=True)
    for label, counts, score in totals:
        sheet.append(_total_row(sheet, label, counts, score))


def _members_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    sheet = _Sheet(workbook, _("Grid members"))
    labels = [_("Grid member"), _("Grids"), *[str(c.label) for c in ALL_COLUMNS], _("Score")]
    sheet.ws.freeze_panes = "C2"
    sheet.header(labels, [14, 14, *[11] * len(ALL_COLUMNS), 9])
    for member in figures.members:
        sheet.append(
            [
                sheet.cell(member.name),
                sheet.cell("、".join(member.grids)),
                *sheet.figures(member.counts),
                _score_cell(sheet, member.score),
            ]
        )
    if figures.members:
        sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{len(figures.members) + 1}"


def _event_cells(sheet: _Sheet, values: list[float | None], *, font: Font | None = None) -> list:
    return [
        sheet.cell(NO_DATA, font=font)
        if value is None
        else sheet.cell(value, number_format=NUMBER_FORMATS[column.kind], font=font)
        for column, value in zip(EVENT_COLUMNS, values, strict=True)
    ]


def _events_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    """The event figures per community, street and the city (the grids' are on the summary)."""
    sheet = _Sheet(workbook, _("Events by community"))
    sheet.ws.freeze_panes = "C2"
    labels = [_("Street"), _("Community"), _("Grids"), *[str(c.label) for c in EVENT_COLUMNS]]
    sheet.header(labels, [14, 16, 8, *[11] * len(EVENT_COLUMNS)])
    for community in figures.communities():
        sheet.append(
            [
                sheet.cell(community.street),
                sheet.cell(community.name),
                sheet.cell(community.grids),
                *_event_cells(sheet, [c.value(community.counts) for c in EVENT_COLUMNS]),
            ]
        )
    totals = [(s.name, s.counts) for s in figures.streets] + [(_("Total"), figures.total)]
    for label, counts in totals:
        sheet.append(
            [
                sheet.cell(label, font=_TOTAL_FONT),
                sheet.cell(""),
                sheet.cell(""),
                *_event_cells(sheet, [c.value(counts) for c in EVENT_COLUMNS], font=_TOTAL_FONT),
            ]
        )


def _departments_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    """The functional departments' event figures."""
    sheet = _Sheet(workbook, _("Departments"))
    sheet.ws.freeze_panes = "C2"
    labels = [_("Department code"), _("Department"), *[str(c.label) for c in EVENT_COLUMNS]]
    sheet.header(labels, [12, 18, *[11] * len(EVENT_COLUMNS)])
    for row in figures.departments:
        sheet.append(
            [
                sheet.cell(row.code),
                sheet.cell(row.name),
                *_event_cells(sheet, [event_value(c, row.events) for c in EVENT_COLUMNS]),
            ]
        )


def _wish_cells(
    sheet: _Sheet,
    columns: list[WishColumn],
    figures: WishFigures | None,
    *,
    font: Font | None = None,
) -> list:
    """The row's wish figures; "—" for one without (not counted, or no median)."""
    cells = []
    for column in columns:
        value = None if figures is None else column.value(figures)
        if value is None:
            cells.append(sheet.cell(NO_DATA, font=font))
        else:
            cells.append(sheet.cell(value, number_format=NUMBER_FORMATS[column.kind], font=font))
    return cells


def _wishes_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    """The micro-wishes' figures per community, with the streets and the city; a version
    published before wishes were counted lists its communities with "—"."""
    sheet = _Sheet(workbook, pgettext("monthly report sheet", "Micro-wishes by community"))
    sheet.ws.freeze_panes = "C2"
    labels = [_("Street"), _("Community"), *[str(c.label) for c in WISH_COLUMNS]]
    sheet.header(labels, [14, 16, *[11] * len(WISH_COLUMNS)])
    rows: list[tuple[str, str, WishFigures | None]]
    if figures.wish_communities is None:
        rows = [(c.street, c.name, None) for c in figures.communities()]
        totals: list[tuple[str, WishFigures | None]] = [(_("Total"), None)]
    else:
        rows = [(c.street, c.name, c) for c in figures.wish_communities]
        totals = [(s.name, s) for s in figures.wish_streets()]
        totals.append((_("Total"), figures.wish_total()))
    for street, name, row in rows:
        sheet.append([sheet.cell(street), sheet.cell(name), *_wish_cells(sheet, WISH_COLUMNS, row)])
    for label, total in totals:
        sheet.append(
            [
                sheet.cell(label, font=_TOTAL_FONT),
                sheet.cell(""),
                *_wish_cells(sheet, WISH_COLUMNS, total, font=_TOTAL_FONT),
            ]
        )
    if rows:
        sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{len(rows) + 1}"


def _wish_departments_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    """The micro-wishes the departments' staff claimed and fulfilled."""
    sheet = _Sheet(workbook, pgettext("monthly report sheet", "Micro-wishes by department"))
    sheet.ws.freeze_panes = "C2"
    columns = WISH_DEPARTMENT_COLUMNS
    labels = [_("Department code"), _("Department"), *[str(c.label) for c in columns]]
    sheet.header(labels, [12, 18, *[11] * len(columns)])
    for row in figures.wish_departments:
        sheet.append(
            [sheet.cell(row.code), sheet.cell(row.name), *_wish_cells(sheet, columns, row)]
        )


def _definitions_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    sheet = _Sheet(workbook, _("Definitions"))
    sheet.header([_("Figure"), _("Definition")], [22, 100])
    wrap = Alignment(wrap_text=True, vertical="top")
    rows = definitions(rank_label=_("Rank in street"))
    rows.append((_("no audit"), _("No audit campaign over this grid was closed for the month.")))
    for label, definition in rows:
        text = sheet.cell(definition)
        text.alignment = wrap
        sheet.append([sheet.cell(label, font=_HEADER_FONT), text])
    sheet.append([])
    sheet.append([sheet.cell(_("Score weights"), font=_HEADER_FONT)])
    for part, weight in weight_rows(figures.weights):
        sheet.append([sheet.cell(part), sheet.cell(weight)])


def _cover_sheet(workbook: Workbook, figures: MonthFigures) -> None:
    sheet = _Sheet(workbook, _("Report"))
    sheet.ws.column_dimensions["A"].width = 16
    sheet.ws.column_dimensions["B"].width = 40
    generated = formats.date_format(timezone.localtime(figures.generated_at), "Y-m-d H:i")
    sheet.append([sheet.cell(_("Monthly assessment report"), font=Font(bold=True, size=14))])
    for label, value in [
        (_("Month"), month_label(figures)),
        (_("Scope"), scope_label(figures)),
        (_("Generated at"), generated),
        (_("Grids"), len(figures.grids)),
    ]:
        sheet.append([sheet.cell(str(label), font=_HEADER_FONT), sheet.cell(value)])


def report_xlsx(figures: MonthFigures) -> bytes:
    """The workbook: summary (one row per grid), a sheet per street, grid members, events by
    community (with the streets and the city), departments, micro-wishes by community and by
    department, definitions and weights."""
    workbook = Workbook(write_only=True)
    street_totals = [(s.name, s.counts, s.score) for s in figures.streets]
    _grid_sheet(
        workbook,
        _("Summary"),
        figures.grids,
        [*street_totals, (_("Total"), figures.total, figures.total_score)],
    )
    if len(figures.streets) > 1 or figures.street is None:
        for street in figures.streets:
            rows = [row for row in figures.grids if row.street_id == street.street_id]
            _grid_sheet(workbook, street.name, rows, [(_("Total"), street.counts, street.score)])
    _members_sheet(workbook, figures)
    _events_sheet(workbook, figures)
    if figures.departments:
        _departments_sheet(workbook, figures)
    _wishes_sheet(workbook, figures)
    if figures.wish_departments:
        _wish_departments_sheet(workbook, figures)
    _definitions_sheet(workbook, figures)
    _cover_sheet(workbook, figures)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
