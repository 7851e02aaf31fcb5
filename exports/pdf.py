"""The monthly report as a PDF: it only draws the rows ``exports.selectors`` computed.

Chinese text needs an embedded TrueType font (``archives.pdf_font``, shared with the household
register). Long tables are built in chunks with fixed column widths (platypus splits one long
table in quadratic time).
"""

import functools

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import CellStyle

from archives.pdf_font import register_font
from archives.pdf_page import landscape_pdf
from exports.columns import (
    DECIMAL,
    EVENT_COLUMNS,
    FIGURE_COLUMNS,
    INTEGER,
    PATROL_COLUMNS,
    PATROL_PART_LABEL,
    PERCENT,
    WISH_COLUMNS,
    WISH_DEPARTMENT_COLUMNS,
    WISHES_LABEL,
    Column,
    WishColumn,
    definitions,
    empty_texts,
    weight_rows,
)
from exports.excel import month_label, scope_label
from exports.figures import MonthCounts, MonthFigures
from exports.memory import collector_paused
from wishes.selectors.figures import WishFigures

#: Rows per table: small enough for platypus to split quickly, large enough to fill pages.
CHUNK_ROWS = 100
#: The columns the PDF shows (a page is narrower than a spreadsheet).
PDF_FIGURES = [
    "residents",
    "households",
    "new",
    "moved_out",
    "completeness",
    "timeliness",
    "visits",
    "coverage",
    "record_accuracy",
    "field_accuracy",
    "satisfaction",
]


class _Table(Table):
    """A platypus table that sets its plain one-line text cells itself.

    The report's PDF has about 140,000 such cells for 2,000 grids; platypus draws each through
    a text object of its own (``canvas.drawString``: begin, origin, font, line, end, each a
    method call building strings), which was more than half of the PDF's time. Here a cell is
    one ``BT … ET`` line with the same operators (origin, the embedded font's subset and size,
    the text), placed as ``Table._drawCell`` places it (middle-aligned, left or right).
    Anything else (several lines, paragraphs, other alignments, links) goes the usual way.
    """

    def _drawCell(self, cellval, cellstyle, pos, size):
        if (
            type(cellval) is not str
            or "\n" in cellval
            or cellstyle.valign != "MIDDLE"
            or cellstyle.alignment not in ("LEFT", "RIGHT")
            or cellstyle.href
            or cellstyle.destination
            or cellstyle.direction
            or cellstyle.shaping
        ):
            return super()._drawCell(cellval, cellstyle, pos, size)
        canv = self.canv
        font = getFont(cellstyle.fontname)
        if not font._dynamicFont or not canv.bottomup:
            return super()._drawCell(cellval, cellstyle, pos, size)
        if self._curcellstyle is not cellstyle:
            current = self._curcellstyle
            if current is None or cellstyle.color != current.color:
                canv.setFillColor(cellstyle.color)
            if (
                current is None
                or cellstyle.leading != current.leading
                or cellstyle.fontname != current.fontname
                or cellstyle.fontsize != current.fontsize
            ):  # for the cells drawn the usual way after this one
                canv.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            self._curcellstyle = cellstyle
        if not cellval:
            return None
        colpos, rowpos = pos
        colwidth, rowheight = size
        fontsize = cellstyle.fontsize
        width, runs = _set_text(canv._doc, canv._escape, font, fontsize, cellval)
        if cellstyle.alignment == "LEFT":
            x = colpos + cellstyle.leftPadding
        else:
            x = colpos + colwidth - cellstyle.rightPadding - width
        y = (
            rowpos
            + (cellstyle.bottomPadding + rowheight - cellstyle.topPadding + cellstyle.leading) / 2
            - fontsize
        )
        canv._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {runs} ET")
        return None

    def _calc_height(self, availHeight, availWidth, H=None, W=None):
        """Rows of plain one-line text get their height here, as ``Table._calc_height``
        works it out (the tallest cell: its leading, or 1.2 × its font size, and its top and
        bottom padding), without its per-cell questions about spans and flowables; a
        table's figure rows are nearly all of its cells. The other rows (the headings'
        paragraphs) and tables with spans go the usual way."""
        asked = self._argH
        if None not in asked or self._spanCmds:
            return super()._calc_height(availHeight, availWidth, H, W)
        minimum = self._minRowHeights
        known = list(asked)
        for i, height in enumerate(asked):
            if height is None:
                tallest = _plain_row_height(self._cellvalues[i], self._cellStyles[i])
                if tallest is not None:
                    known[i] = max(minimum[i], tallest) if minimum else tallest
        if None not in known:  # Table sets its row heights only while it works some out
            return super()._calc_height(availHeight, availWidth, H, W)
        self._argH = known
        try:
            return super()._calc_height(availHeight, availWidth, H, W)
        finally:
            self._argH = asked


def _plain_row_height(values: list, styles: list) -> float | None:
    """The height ``Table._calc_height`` gives a row whose cells are all one-line strings;
    None for any other row."""
    tallest = 0.0
    for value, style in zip(values, styles, strict=False):
        if type(value) is not str or "\n" in value:
            return None
        height = (style.leading or 1.2 * style.fontsize) + style.bottomPadding + style.topPadding
        if height > tallest:
            tallest = height
    return tallest


def _set_text(doc, escape, font, fontsize: float, text: str) -> tuple[float, str]:
    """A text's width and its operators (subset font, size, bytes) in ``doc``, worked out once
    per document: the report repeats the same figures ("—", "100.0%") thousands of times.
    A character keeps the subset and code the document gave it first, so the cached operators
    stay right for the whole document (and the cache lives on it)."""
    cache = doc.__dict__.setdefault("_report_cell_text", {})
    key = (font.fontName, fontsize, text)
    if (found := cache.get(key)) is None:
        runs = " ".join(
            f"{font.getSubsetInternalName(subset, doc)} {fp_str(fontsize)} Tf ({escape(part)}) Tj"
            for subset, part in font.splitString(text, doc)
        )
        found = cache[key] = (font.stringWidth(text, fontsize), runs)
    return found


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=24, leading=32, spaceAfter=12),
        "heading": ParagraphStyle("heading", parent=base, fontSize=14, leading=20, spaceAfter=6),
        "cover": ParagraphStyle("cover", parent=base, fontSize=13, leading=22),
    }


def _text(value, kind: str) -> str:
    if kind == PERCENT:
        return f"{value * 100:.1f}%"
    if kind == DECIMAL:
        return f"{value:.2f}"
    if kind == INTEGER:
        return f"{value:,}"
    return str(value)


_SHOWN = [c for c in FIGURE_COLUMNS if c.key in PDF_FIGURES]


@functools.cache
def _empty_texts(language: str | None) -> dict[bool, str]:
    """``columns.empty_texts`` per language: asked once per row, not once per empty cell."""
    return empty_texts()


def _figure_cells(counts: MonthCounts, columns: list[Column] = _SHOWN) -> list[str]:
    empty = _empty_texts(get_language())
    cells = []
    for column in columns:
        value = column.value(counts)
        cells.append(empty[column.audit] if value is None else _text(value, column.kind))
    return cells


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.1f}"


_WIDTHS = [16 * mm, 24 * mm, 26 * mm, *[16 * mm] * len(_SHOWN), 14 * mm, 11 * mm]


def _report_table(
    rows: list[list],
    widths: list[float],
    font: str,
    *,
    total_rows: int = 0,
    right_from: int = 3,
    repeat_rows: int = 1,
) -> "_Table":
    """A table in the report's style: the font at 7.5 pt on 9 pt lines, middle-aligned, the
    figures (columns from ``right_from``) right-aligned below the heading row, a grid, rows
    shaded in turn, the last ``total_rows`` shaded darker.

    The cells' styles are three objects shared by the table's cells (the heading row's, the
    body's left and right columns') rather than a style per cell that each of the style's
    commands visits (platypus: about a million such visits for 2,000 grids)."""
    columns = max((len(row) for row in rows), default=0)
    heading = _cell_style("heading", font, "LEFT", padding=2)
    left = _cell_style("left", font, "LEFT")
    right = _cell_style("right", font, "RIGHT")
    body = [left] * min(right_from, columns) + [right] * max(columns - right_from, 0)
    styles = [[heading] * columns, *([list(body)] * (len(rows) - 1))]
    table = _Table(rows, colWidths=widths, repeatRows=repeat_rows, cellStyles=styles)
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F0")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F5F7FA")]),
    ]
    if total_rows:
        commands.append(
            ("BACKGROUND", (0, len(rows) - total_rows), (-1, -1), colors.HexColor("#E8EDF2"))
        )
    table.setStyle(TableStyle(commands))
    return table


def _cell_style(name: str, font: str, alignment: str, *, padding: float | None = None):
    style = CellStyle(name)
    style.fontname, style.fontsize, style.leading = font, 7.5, 9
    style.alignment, style.valign = alignment, "MIDDLE"
    if padding is not None:
        # The headings wrap inside their columns; narrow padding leaves a long word whole.
        style.leftPadding = style.rightPadding = padding
    return style


def _header_cells(labels: list[str], font: str) -> list[Paragraph]:
    """Heading cells that wrap inside their column: as plain strings, English headings
    ("Households needing visits") ran into their neighbours. Chinese wraps between any two
    characters, other languages between words."""
    chinese = (get_language() or "").startswith("zh")
    style = ParagraphStyle(
        "header",
        fontName=font,
        fontSize=7 if chinese else 6.5,  # "Completeness" fits a 16 mm column whole
        leading=8.5,
        wordWrap="CJK" if chinese else None,
    )
    return [Paragraph(escape(str(label)), style) for label in labels]


def _header(font: str) -> list[Paragraph]:
    return _header_cells(
        [
            _("Grid code"),
            _("Grid"),
            _("Grid members"),
            *[str(c.label) for c in _SHOWN],
            _("Score"),
            _("Rank"),
        ],
        font,
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _grid_tables(figures: MonthFigures, font: str) -> list:
    header = _header(font)
    body = [
        [
            row.code,
            _clip(row.name, 12),
            _clip("、".join(row.members), 12),
            *_figure_cells(row.counts),
            _score_text(row.score),
            "—" if row.rank is None else str(row.rank),
        ]
        for row in figures.grids
    ]
    totals = [
        [
            street.code,
            _clip(street.name, 12),
            "",
            *_figure_cells(street.counts),
            _score_text(street.score),
            "",
        ]
        for street in figures.streets
    ]
    totals.append(["", _("Total"), "", *_figure_cells(figures.total)])
    totals[-1] += [_score_text(figures.total_score), ""]
    tables = []
    chunks = [body[i : i + CHUNK_ROWS] for i in range(0, len(body), CHUNK_ROWS)] or [[]]
    for index, chunk in enumerate(chunks):
        rows = [header, *chunk]
        extra = totals if index == len(chunks) - 1 else []
        rows += extra
        table = _report_table(rows, _WIDTHS, font, total_rows=len(extra))
        tables.append(table)
    return tables


def _member_tables(figures: MonthFigures, font: str) -> list:
    """One row per grid member: their grids' figures, with the visits they logged."""
    header = _header_cells(
        [_("Grid member"), _("Grids"), "", *[str(c.label) for c in _SHOWN], _("Score"), ""], font
    )
    body = [
        [
            _clip(member.name, 8),
            _clip("、".join(member.grids), 12),
            "",
            *_figure_cells(member.counts),
            _score_text(member.score),
            "",
        ]
        for member in figures.members
    ]
    tables = []
    for start in range(0, len(body), CHUNK_ROWS):
        rows = [header, *body[start : start + CHUNK_ROWS]]
        table = _report_table(rows, _WIDTHS, font)
        tables.append(table)
    return tables


#: The patrol tables: the grid's (or member's) three columns, then the patrol figures.
_PATROL_WIDTHS = [16 * mm, 24 * mm, 26 * mm, *[20 * mm] * len(PATROL_COLUMNS), 20 * mm]


def _patrol_header(font: str, first: list[str]) -> list[Paragraph]:
    labels = [*first, *[str(c.label) for c in PATROL_COLUMNS], str(PATROL_PART_LABEL)]
    return _header_cells(labels, font)


def _patrol_cells(counts: MonthCounts) -> list[str]:
    part = counts.patrol_part
    return [*_figure_cells(counts, PATROL_COLUMNS), "—" if part is None else _text(part, PERCENT)]


def _patrol_tables(figures: MonthFigures, font: str) -> list:
    """The patrol figures per grid, with the street and city totals, then per grid member (the
    rounds they walked and the visits they logged): a table of their own, the summary's page
    being full."""
    grids = []
    for row in figures.grids:
        members = _clip("、".join(row.members), 12)
        grids.append([row.code, _clip(row.name, 12), members, *_patrol_cells(row.counts)])
    totals = [
        [street.code, _clip(street.name, 12), "", *_patrol_cells(street.counts)]
        for street in figures.streets
    ]
    totals.append(["", _("Total"), "", *_patrol_cells(figures.total)])
    member_rows = [
        [_clip(m.name, 8), _clip("、".join(m.grids), 12), "", *_patrol_cells(m.counts)]
        for m in figures.members
    ]
    grid_header = _patrol_header(font, [_("Grid code"), _("Grid"), _("Grid members")])
    member_header = _patrol_header(font, [_("Grid member"), _("Grids"), ""])
    tables = []
    for header, body, extra in ((grid_header, grids, totals), (member_header, member_rows, [])):
        chunks = [body[i : i + CHUNK_ROWS] for i in range(0, len(body), CHUNK_ROWS)] or [[]]
        for index, chunk in enumerate(chunks):
            last = extra if index == len(chunks) - 1 else []
            rows = [header, *chunk, *last]
            table = _report_table(rows, _PATROL_WIDTHS, font, total_rows=len(last))
            tables.append(table)
        tables.append(Spacer(1, 6 * mm))
    return tables


#: The event tables: three columns naming the row, then the event figures.
_EVENT_WIDTHS = [16 * mm, 26 * mm, 26 * mm, *[19 * mm] * len(EVENT_COLUMNS)]


def _event_header(font: str, first: list[str]) -> list[Paragraph]:
    return _header_cells([*first, *[str(c.label) for c in EVENT_COLUMNS]], font)


def _event_cells(counts: MonthCounts) -> list[str]:
    return _figure_cells(counts, EVENT_COLUMNS)


def _event_tables(figures: MonthFigures, font: str) -> list:
    """The event figures per grid, then per community with the street and city totals, then
    per department (where the report has department figures)."""
    grids = [
        [row.code, _clip(row.name, 12), _clip(row.community, 12), *_event_cells(row.counts)]
        for row in figures.grids
    ]
    communities = [
        [_clip(c.street, 12), _clip(c.name, 12), str(c.grids), *_event_cells(c.counts)]
        for c in figures.communities()
    ]
    totals = [
        [_clip(street.name, 12), "", "", *_event_cells(street.counts)] for street in figures.streets
    ]
    totals.append([_("Total"), "", "", *_event_cells(figures.total)])
    departments = [
        [row.code, _clip(row.name, 12), "", *_event_cells(MonthCounts(events=row.events))]
        for row in figures.departments
    ]
    sections = [
        (_event_header(font, [_("Grid code"), _("Grid"), _("Community")]), grids, []),
        (_event_header(font, [_("Street"), _("Community"), _("Grids")]), communities, totals),
    ]
    if departments:
        sections.append(
            (_event_header(font, [_("Department code"), _("Department"), ""]), departments, [])
        )
    tables = []
    for header, body, extra in sections:
        chunks = [body[i : i + CHUNK_ROWS] for i in range(0, len(body), CHUNK_ROWS)] or [[]]
        for index, chunk in enumerate(chunks):
            last = extra if index == len(chunks) - 1 else []
            rows = [header, *chunk, *last]
            table = _report_table(rows, _EVENT_WIDTHS, font, total_rows=len(last))
            tables.append(table)
        tables.append(Spacer(1, 6 * mm))
    return tables


def _wish_cells(columns: list[WishColumn], figures: WishFigures | None) -> list[str]:
    cells = []
    for column in columns:
        value = None if figures is None else column.value(figures)
        cells.append("—" if value is None else _text(value, column.kind))
    return cells


_WISH_WIDTHS = [26 * mm, 30 * mm, *[22 * mm] * len(WISH_COLUMNS)]


def _wish_tables(figures: MonthFigures, font: str) -> list:
    """The micro-wishes' figures per community with the street and city totals, then per
    department; "—" in a version published before wishes were counted."""
    if figures.wish_communities is None:
        body = [
            [_clip(c.street, 14), _clip(c.name, 14), *_wish_cells(WISH_COLUMNS, None)]
            for c in figures.communities()
        ]
        totals = [[_("Total"), "", *_wish_cells(WISH_COLUMNS, None)]]
    else:
        body = [
            [_clip(c.street, 14), _clip(c.name, 14), *_wish_cells(WISH_COLUMNS, c)]
            for c in figures.wish_communities
        ]
        totals = [
            [_clip(s.name, 14), "", *_wish_cells(WISH_COLUMNS, s)] for s in figures.wish_streets()
        ]
        totals.append([_("Total"), "", *_wish_cells(WISH_COLUMNS, figures.wish_total())])
    header = _header_cells(
        [_("Street"), _("Community"), *[str(c.label) for c in WISH_COLUMNS]], font
    )
    sections = [(header, body, totals, _WISH_WIDTHS)]
    if figures.wish_departments:
        columns = WISH_DEPARTMENT_COLUMNS
        departments = [
            [row.code, _clip(row.name, 14), *_wish_cells(columns, row)]
            for row in figures.wish_departments
        ]
        header = _header_cells(
            [_("Department code"), _("Department"), *[str(c.label) for c in columns]], font
        )
        sections.append((header, departments, [], _WISH_WIDTHS[: 2 + len(columns)]))
    tables: list = []
    for header, rows_of, extra, widths in sections:
        chunks = [rows_of[i : i + CHUNK_ROWS] for i in range(0, len(rows_of), CHUNK_ROWS)] or [[]]
        for index, chunk in enumerate(chunks):
            last = extra if index == len(chunks) - 1 else []
            rows = [header, *chunk, *last]
            table = _report_table(rows, widths, font, total_rows=len(last), right_from=2)
            tables.append(table)
        tables.append(Spacer(1, 6 * mm))
    return tables


def _score_chart(figures: MonthFigures, font: str) -> Drawing:
    """How many grids scored in each ten-point band: readable for 10 grids or 2,000."""
    bands = [0] * 10
    for row in figures.grids:
        if row.score is not None:
            bands[min(int(row.score // 10), 9)] += 1
    width, height = 240 * mm, 80 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 20 * mm, 14 * mm
    chart.width, chart.height = width - 30 * mm, height - 26 * mm
    chart.data = [bands]
    chart.categoryAxis.categoryNames = [f"{10 * i}–{10 * i + 10}" for i in range(10)]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#4F81BD")
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = font
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(
        String(width / 2, height - 6 * mm, _("Grids by score band"), fontName=font, fontSize=11)
    )
    drawing.contents[-1].textAnchor = "middle"
    return drawing


def _definitions(figures: MonthFigures, styles: dict, font: str) -> list:
    rows = [[_("Figure"), _("Definition")]]
    rows += [
        [label, Paragraph(text, styles["base"])]
        for label, text in definitions(rank_label=_("Rank"))
    ]
    table = _report_table(rows, [40 * mm, 200 * mm], font)
    weights = [[_("Score weights"), ""]]
    weights += [[part, str(weight)] for part, weight in weight_rows(figures.weights)]
    weights_table = _report_table(weights, [40 * mm, 30 * mm], font, repeat_rows=0)
    return [
        Paragraph(_("Definitions"), styles["heading"]),
        table,
        Spacer(1, 6 * mm),
        KeepTogether([weights_table]),
    ]


@collector_paused()
def report_pdf(figures: MonthFigures) -> bytes:
    font = register_font()
    styles = _styles(font)
    title = _("Monthly assessment report")
    month, scope = month_label(figures), scope_label(figures)
    generated = formats.date_format(timezone.localtime(figures.generated_at), "Y-m-d H:i")

    story = [
        Spacer(1, 40 * mm),
        Paragraph(title, styles["title"]),
        Paragraph(f"{_('Month')}：{month}", styles["cover"]),
        Paragraph(f"{_('Scope')}：{scope}", styles["cover"]),
        Paragraph(f"{_('Generated at')}：{generated}", styles["cover"]),
        Paragraph(f"{_('Grids')}：{len(figures.grids)}", styles["cover"]),
        Paragraph(f"{_('Score')}：{_score_text(figures.total_score)}", styles["cover"]),
        PageBreak(),
        Paragraph(_("Summary"), styles["heading"]),
        *_grid_tables(figures, font),
        PageBreak(),
        Paragraph(_("Grid members"), styles["heading"]),
        *_member_tables(figures, font),
        PageBreak(),
        Paragraph(_("Patrol rounds and visits on-track"), styles["heading"]),
        *_patrol_tables(figures, font),
        PageBreak(),
        Paragraph(_("Events"), styles["heading"]),
        *_event_tables(figures, font),
        PageBreak(),
        Paragraph(str(WISHES_LABEL), styles["heading"]),
        *_wish_tables(figures, font),
        PageBreak(),
        _score_chart(figures, font),
        PageBreak(),
        *_definitions(figures, styles, font),
    ]
    return landscape_pdf(
        story,
        title=f"{title} {month} {scope}",
        footer=f"{title} · {month} · {scope}",
        font=font,
        footer_inset=15 * mm,  # the report's footer has always sat a little inside the margin
    )
