"""The monthly report as an Excel workbook: it only draws the rows ``exports.selectors`` computed.

Written with XlsxWriter row by row: for a 2,000-grid city (about 250,000 cells) it takes a
fraction of what openpyxl's write-only mode took through lxml (3.5 s), most of which went into a
cell object per value. Every string is written as a string (``write_string``): a grid or
person named ``=…`` is text, never a formula.
"""

import io
import math
from dataclasses import dataclass

import xlsxwriter
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, Worksheet

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
    empty_texts,
    event_value,
    weight_rows,
)
from exports.figures import GridRow, MonthCounts, MonthFigures
from exports.memory import collector_paused
from wishes.selectors.figures import WishFigures

NUMBER_FORMATS = {INTEGER: "#,##0", PERCENT: "0.0%", DECIMAL: "0.00"}
_HEADER_FILL = "#DDE6F0"
_SHEET_NAME_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Font:
    """How a cell's text is set (the workbook makes one format per combination)."""

    bold: bool = False
    size: int | None = None


_HEADER_FONT = Font(bold=True)
_TOTAL_FONT = Font(bold=True)


def month_label(figures: MonthFigures) -> str:
    return _("%(year)d-%(month)02d") % {"year": figures.month.year, "month": figures.month.month}


def scope_label(figures: MonthFigures) -> str:
    return figures.street.name if figures.street else _("whole city")


class _Book:
    """The workbook and its formats, each made once (XlsxWriter wants one object per style)."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self.workbook = xlsxwriter.Workbook(
            buffer,
            {
                "in_memory": True,
                # Strings stay strings: never a formula, a number or a link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._formats: dict[tuple, Format | None] = {}
        self._names: set[str] = set()
        self.empty = empty_texts()
        self._figure_formats: dict[Font | None, tuple[Format | None, dict[str, Format | None]]] = {}

    def format(
        self,
        *,
        number_format: str | None = None,
        font: Font | None = None,
        fill: str | None = None,
        wrap: str | None = None,
    ) -> Format | None:
        """The format of a cell; ``wrap`` wraps its text, aligned "top" or "vcenter"."""
        key = (number_format, font, fill, wrap)
        if key not in self._formats:
            properties: dict = {}
            if number_format:
                properties["num_format"] = number_format
            if font and font.bold:
                properties["bold"] = True
            if font and font.size:
                properties["font_size"] = font.size
            if fill:
                properties.update(pattern=1, bg_color=fill)
            if wrap:
                properties.update(text_wrap=True, valign=wrap)
            self._formats[key] = self.workbook.add_format(properties) if properties else None
        return self._formats[key]

    def figure_formats(self, font: Font | None) -> tuple[Format | None, dict[str, Format | None]]:
        """The formats of a row's figures: its text, and its numbers by column kind."""
        if font not in self._figure_formats:
            numbers = {
                kind: self.format(number_format=number_format, font=font)
                for kind, number_format in NUMBER_FORMATS.items()
            }
            self._figure_formats[font] = (self.format(font=font), numbers)
        return self._figure_formats[font]

    def sheet_name(self, title: str) -> str:
        """A valid sheet name for ``title`` (31 characters, none of ``[]:*?/\\``), made
        unique as openpyxl did (a digit appended)."""
        name = title.translate(_SHEET_NAME_BAD)[:31]
        candidate, number = name, 1
        while candidate.lower() in self._names:
            suffix = str(number)
            candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
        self._names.add(candidate.lower())
        return candidate


class _Worksheet(Worksheet):
    """XlsxWriter's worksheet, writing a number or shared-string cell that has its own format
    (nearly all of the report's 250,000) as one string: the XML ``Worksheet._write_cell``
    writes for it, without the attribute list, its escaping (a cell reference and a format
    index need none) and the type tests, which were half of the workbook's time. Any other
    cell is written by ``Worksheet``."""

    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = type(cell)
        if (kind is CellNumberTuple or kind is CellStringTuple) and not self.constant_memory:
            style = cell.format
            if style:
                at = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{style._get_xf_index()}"'
                if kind is CellNumberTuple:
                    self.fh.write(f"{at}><v>{cell.number:.16G}</v></c>")
                else:  # a shared string: its index
                    self.fh.write(f'{at} t="s"><v>{cell.string}</v></c>')
                return
        super()._write_cell(row, col, cell)


def _print_setup(ws) -> None:
    """Offices print the report: landscape, every column on one page wide (as many pages
    down as it takes), the header row on every page and page numbers in the footer. Without
    it LibreOffice printed the city workbook on 59 pages, four columns on the first."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages down as needed
    ws.repeat_rows(0)
    ws.hide_gridlines(0)  # gridlines shown, and printed
    # &P and &N are the spreadsheet's page number and count, &A the sheet's name.
    ws.set_footer("&C" + _("Page &P of &N"))
    ws.set_header("&C&A")


Cell = tuple  # (value, format or None)


class _Sheet:
    """A sheet written row by row with the report's cell conventions: ``cell`` pairs a value
    with its format, ``append`` writes a row of such pairs."""

    def __init__(self, book: _Book, title: str) -> None:
        self.book = book
        self.name = book.sheet_name(title)
        self.ws = book.workbook.add_worksheet(self.name, worksheet_class=_Worksheet)
        self.rows = 0
        _print_setup(self.ws)

    def cell(self, value, *, number_format: str | None = None, font: Font | None = None) -> Cell:
        if isinstance(value, str):
            number_format = None
        return (value, self.book.format(number_format=number_format, font=font))

    def header(self, labels: list[str], widths: list[int]) -> None:
        for index, width in enumerate(widths):
            self.ws.set_column(index, index, width)
        style = self.book.format(font=_HEADER_FONT, fill=_HEADER_FILL, wrap="vcenter")
        self.append([(str(label), style) for label in labels])

    def append(self, row: list[Cell]) -> None:
        """Write ``row`` below the last, as ``write_string``, ``write_blank`` and
        ``write_number`` write its cells; a finite int or float (every figure) is stored in
        the sheet's table directly, its row's extent noted once: the write methods' argument
        conversion and checks per cell were a fifth of the workbook's time."""
        ws, at = self.ws, self.rows
        numbers = []
        for column, (value, style) in enumerate(row):
            if isinstance(value, str):
                if value:
                    ws._write_string(at, column, value, style)
                elif style is not None:
                    ws._write_blank(at, column, None, style)
            elif value is not None:
                if type(value) in (int, float) and math.isfinite(value):
                    ws.table[at][column] = CellNumberTuple(value, style)
                    numbers.append(column)
                else:
                    ws.write_number(at, column, value, style)
        if numbers:
            ws._check_dimensions(at, numbers[0])
            ws._check_dimensions(at, numbers[-1])
        self.rows += 1

    def figures(self, counts: MonthCounts, *, font: Font | None = None) -> list[Cell]:
        text, numbers = self.book.figure_formats(font)
        empty = self.book.empty
        cells: list[Cell] = []
        for column in ALL_COLUMNS:
            value = column.value(counts)
            if value is None:
                cells.append((empty[column.audit], text))
            else:
                cells.append((value, numbers[column.kind]))
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
    last_column = len(_GRID_WIDTHS) - 1
    score_column = len(_GRID_WIDTHS) - 2
    ws = sheet.ws
    if grid_rows:
        ws.autofilter(0, 0, grid_rows, last_column)
        ws.conditional_format(
            1,
            score_column,
            grid_rows,
            score_column,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 0,
                "min_color": "#F8696B",
                "mid_type": "num",
                "mid_value": 60,
                "mid_color": "#FFEB84",
                "max_type": "num",
                "max_value": 100,
                "max_color": "#63BE7B",
            },
        )
    if chart and grid_rows:
        bars = sheet.book.workbook.add_chart({"type": "column"})
        bars.add_series(
            {
                "name": [sheet.name, 0, score_column],
                "values": [sheet.name, 1, score_column, grid_rows, score_column],
                "categories": [sheet.name, 1, 3, grid_rows, 3],
            }
        )
        bars.set_title({"name": _("Score by grid")})
        bars.set_y_axis({"name": _("Score"), "min": 0, "max": 100})
        bars.set_legend({"none": True})
        # openpyxl's size was in centimetres (18 to 60 wide, 9 high): 37.8 pixels each.
        width_cm = max(18, min(60, grid_rows * 0.5))
        bars.set_size({"width": round(width_cm * 37.8), "height": round(9 * 37.8)})
        ws.insert_chart(grid_rows + 3, 0, bars)


def _grid_sheet(book: _Book, title: str, rows: list[GridRow], totals: list) -> None:
    sheet = _Sheet(book, title)
    sheet.ws.freeze_panes(1, 4)  # E2
    sheet.header(_grid_labels(), _GRID_WIDTHS)
    for row in rows:
        sheet.append(_grid_row(sheet, row))
    _finish_grid_sheet(sheet, len(rows), chart=True)
    for label, counts, score in totals:
        sheet.append(_total_row(sheet, label, counts, score))


def _members_sheet(book: _Book, figures: MonthFigures) -> None:
    sheet = _Sheet(book, _("Grid members"))
    labels = [_("Grid member"), _("Grids"), *[str(c.label) for c in ALL_COLUMNS], _("Score")]
    sheet.ws.freeze_panes(1, 2)  # C2
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
        sheet.ws.autofilter(0, 0, len(figures.members), len(labels) - 1)


def _event_cells(sheet: _Sheet, values: list[float | None], *, font: Font | None = None) -> list:
    return [
        sheet.cell(NO_DATA, font=font)
        if value is None
        else sheet.cell(value, number_format=NUMBER_FORMATS[column.kind], font=font)
        for column, value in zip(EVENT_COLUMNS, values, strict=True)
    ]


def _events_sheet(book: _Book, figures: MonthFigures) -> None:
    """The event figures per community, street and the city (the grids' are on the summary)."""
    sheet = _Sheet(book, _("Events by community"))
    sheet.ws.freeze_panes(1, 2)  # C2
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


def _departments_sheet(book: _Book, figures: MonthFigures) -> None:
    """The functional departments' event figures."""
    sheet = _Sheet(book, _("Departments"))
    sheet.ws.freeze_panes(1, 2)  # C2
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


def _wishes_sheet(book: _Book, figures: MonthFigures) -> None:
    """The micro-wishes' figures per community, with the streets and the city; a version
    published before wishes were counted lists its communities with "—"."""
    sheet = _Sheet(book, pgettext("monthly report sheet", "Micro-wishes by community"))
    sheet.ws.freeze_panes(1, 2)  # C2
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
        sheet.ws.autofilter(0, 0, len(rows), len(labels) - 1)


def _wish_departments_sheet(book: _Book, figures: MonthFigures) -> None:
    """The micro-wishes the departments' staff claimed and fulfilled."""
    sheet = _Sheet(book, pgettext("monthly report sheet", "Micro-wishes by department"))
    sheet.ws.freeze_panes(1, 2)  # C2
    columns = WISH_DEPARTMENT_COLUMNS
    labels = [_("Department code"), _("Department"), *[str(c.label) for c in columns]]
    sheet.header(labels, [12, 18, *[11] * len(columns)])
    for row in figures.wish_departments:
        sheet.append(
            [sheet.cell(row.code), sheet.cell(row.name), *_wish_cells(sheet, columns, row)]
        )


def _definitions_sheet(book: _Book, figures: MonthFigures) -> None:
    sheet = _Sheet(book, _("Definitions"))
    sheet.header([_("Figure"), _("Definition")], [22, 100])
    wrap = sheet.book.format(wrap="top")
    rows = definitions(rank_label=_("Rank in street"))
    rows.append((_("no audit"), _("No audit campaign over this grid was closed for the month.")))
    for label, definition in rows:
        sheet.append([sheet.cell(label, font=_HEADER_FONT), (str(definition), wrap)])
    sheet.append([])
    sheet.append([sheet.cell(_("Score weights"), font=_HEADER_FONT)])
    for part, weight in weight_rows(figures.weights):
        sheet.append([sheet.cell(part), sheet.cell(weight)])


def _cover_sheet(book: _Book, figures: MonthFigures) -> None:
    sheet = _Sheet(book, _("Report"))
    sheet.ws.set_column(0, 0, 16)
    sheet.ws.set_column(1, 1, 40)
    generated = formats.date_format(timezone.localtime(figures.generated_at), "Y-m-d H:i")
    sheet.append([sheet.cell(_("Monthly assessment report"), font=Font(bold=True, size=14))])
    for label, value in [
        (_("Month"), month_label(figures)),
        (_("Scope"), scope_label(figures)),
        (_("Generated at"), generated),
        (_("Grids"), len(figures.grids)),
    ]:
        sheet.append([sheet.cell(str(label), font=_HEADER_FONT), sheet.cell(value)])


@collector_paused()
def report_xlsx(figures: MonthFigures) -> bytes:
    """The workbook: summary (one row per grid), a sheet per street, grid members, events by
    community (with the streets and the city), departments, micro-wishes by community and by
    department, definitions and weights."""
    buffer = io.BytesIO()
    book = _Book(buffer)
    street_totals = [(s.name, s.counts, s.score) for s in figures.streets]
    _grid_sheet(
        book,
        _("Summary"),
        figures.grids,
        [*street_totals, (_("Total"), figures.total, figures.total_score)],
    )
    if len(figures.streets) > 1 or figures.street is None:
        for street in figures.streets:
            rows = [row for row in figures.grids if row.street_id == street.street_id]
            _grid_sheet(book, street.name, rows, [(_("Total"), street.counts, street.score)])
    _members_sheet(book, figures)
    _events_sheet(book, figures)
    if figures.departments:
        _departments_sheet(book, figures)
    _wishes_sheet(book, figures)
    if figures.wish_departments:
        _wish_departments_sheet(book, figures)
    _definitions_sheet(book, figures)
    _cover_sheet(book, figures)
    book.workbook.close()
    return buffer.getvalue()
