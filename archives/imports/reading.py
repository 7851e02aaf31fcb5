"""Reading an uploaded spreadsheet safely: .xlsx and .xls with calamine (a Rust reader that
expands no XML entities, about fifteen times faster than openpyxl's streaming mode), .csv in
UTF-8 (with or without a BOM) or GBK/GB18030. A file that is too big, not what its name says, a
corrupt or over-compressed zip, formulas, too many rows, no header or no data is refused with a
sentence a clerk understands, before anything is written.

Offices send the sheet they work in, not the template: a title row or two above the header
("XX社区居民信息表"), an instructions sheet before the data, hidden columns and rows, thousands
of formatted but empty rows. The header row is the first row, within the first
``HEADER_SEARCH_ROWS`` of the first sheet that has one, whose cells are headers some import
knows; the table says which sheet and row it read, and which columns and rows are hidden.
"""

import csv
import ctypes
import ctypes.util
import io
import platform
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from archives.imports import xls
from archives.imports.cleaning import cell_text
from archives.imports.collector import collector_paused
from archives.imports.headers import recognised_count

__all__ = ["FileRefused", "Limits", "Table", "cell_text", "check_size", "read_table"]

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file: Excel 97-2003
# A real workbook's parts shrink 5-20 times; a zip bomb shrinks thousands of times.
MAX_COMPRESSION_RATIO = 100
#: Title rows above the header are looked through this far down.
HEADER_SEARCH_ROWS = 20
#: A row is a header when at least this many of its cells are known headers: a title, a date
#: or a note above the table has none, or one by chance.
HEADER_MIN_RECOGNISED = 2


class FileRefused(Exception):
    """The whole file is refused; the message says why, in words for the person uploading."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number as the spreadsheet shows it, cell values)
    #: Which sheet and which row held the header, as the spreadsheet program names them, so the
    #: preview can say what was read ("Sheet1, header on row 3").
    sheet: str = ""
    header_row: int = 1
    #: Columns (0-based, as in ``headers``) that the workbook hides: a field is never taken from
    #: a hidden column when a visible one has the same meaning.
    hidden_columns: frozenset[int] = frozenset()
    #: Rows (numbered as the spreadsheet shows them) that the workbook hides; they are imported,
    #: and the preview warns about them.
    hidden_rows: tuple[int, ...] = ()

    #: How many data rows the file has: still known after an import has taken them
    #: (``rows_let_go``).
    row_count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.row_count = len(self.rows)

    def rows_let_go(self) -> None:
        """Forget the rows once an import holds them itself: it then lets each row's cells go
        as soon as it has planned the row. (The table held every cell to the end: for
        100,000 rows of an exported list, 94 MB beside the plan.)"""
        self.rows = []

    def where(self) -> str:
        """Where the header was read, in words: "sheet “居民”, row 3" (a CSV has no sheets)."""
        if self.sheet:
            return _("sheet “%(sheet)s”, row %(row)s") % {
                "sheet": self.sheet,
                "row": self.header_row,
            }
        return _("row %(row)s") % {"row": self.header_row}


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file by its size alone, before it is read into memory."""
    if size > limits.max_bytes:
        raise FileRefused(
            _("The file is %(size)s MB; files up to %(limit)s MB are accepted.")
            % {"size": round(size / 2**20, 1), "limit": round(limits.max_bytes / 2**20, 1)}
        )


@collector_paused()
def read_table(name: str, data: bytes, limits: Limits) -> Table:
    if not data:
        raise FileRefused(_("The file is empty."))
    check_size(len(data), limits)
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        table = _read_xlsx(data, limits)
        _heap_trimmed()
    elif lowered.endswith(".xls"):
        table = _read_xls(data, limits)
        _heap_trimmed()
    elif lowered.endswith(".csv"):
        table = _read_csv(data, limits)
    else:
        raise FileRefused(_("Upload an Excel workbook (.xlsx or .xls) or a CSV file (.csv)."))
    if not any(h for h in table.headers):
        raise FileRefused(_("The file has no header row."))
    if not table.rows:
        raise FileRefused(
            _("The file has a header row (%(where)s) but no residents below it.")
            % {"where": table.where()}
        )
    return table


def _load_libc_trim() -> Callable[[int], int] | None:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _load_libc_trim()


def _heap_trimmed() -> None:
    """Give the C heap's free pages back to the system once calamine's copy of the sheet is
    gone. Its cells were a million small allocations, freed amid others that live on, and
    glibc keeps such a heap's free pages: 50 MB of a 100,000-row file that Python's own
    allocator (its memory mapped apart) never reused, counted in the import's peak until the
    process ended."""
    if _malloc_trim is not None:
        _malloc_trim(0)


# --- .xlsx --------------------------------------------------------------------------------


@dataclass
class _SheetScan:
    """What the worksheet XML says that calamine does not give."""

    rows: int = 0  # rows that hold a value, or at least as many (see ``_scan_sheet``)
    formulas: dict | None = None  # {(row, column): "="}, both counted from 1
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: frozenset[int] = frozenset()  # 0-based


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    if not data.startswith(XLSX_MAGIC):
        raise FileRefused(_("This file is not an Excel workbook, although its name ends .xlsx."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _refuse_zip_bomb(archive, limits)
            parts = _sheet_parts(archive)
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return _first_table(_xlsx_sheets(archive, book, parts, limits), limits)
    except FileRefused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, CalamineError) as error:
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from error
    except Exception as error:  # defusedxml's refusals of the workbook's own parts
        raise FileRefused(
            _("The workbook cannot be read safely: %(why)s") % {"why": error}
        ) from error


def _xlsx_sheets(
    archive: zipfile.ZipFile, book: CalamineWorkbook, parts: list[str], limits: Limits
) -> Iterator[tuple[str, list[list], _SheetScan]]:
    """(name, cells, scan) of each visible worksheet, read as it is asked for."""
    for index, part in _readable_sheets(book, parts):
        scan = _scan_sheet(archive, part, limits)
        sheet = book.get_sheet_by_index(index)
        yield sheet.name, sheet.to_python(skip_empty_area=False), scan


def _first_table(sheets: Iterable[tuple[str, list[list], _SheetScan]], limits: Limits) -> Table:
    """The table of the first of ``sheets`` (the visible worksheets, in the workbook's order)
    whose header row is recognised; if none is, the first sheet's, its header taken from its
    first filled row (the import then names the columns it lacks)."""
    first = None
    for name, cells, scan in sheets:
        found = _header_row(cells)
        if first is None:
            first = (name, cells, scan)
        if found is not None:
            return _table(name, cells, found, scan, limits)
    if first is None:
        raise FileRefused(_("The workbook has no visible sheet."))
    name, cells, scan = first
    return _table(name, cells, _first_filled_row(cells), scan, limits)


def _readable_sheets(book: CalamineWorkbook, parts: list[str]) -> Iterator[tuple[int, str]]:
    """(index, zip member) of each visible worksheet, in the workbook's order: a hidden sheet
    is not what the person means."""
    for index, meta in enumerate(book.sheets_metadata):
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue
        if index < len(parts):
            yield index, parts[index]


def _table(sheet: str, cells: list[list], header: int, scan: _SheetScan, limits) -> Table:
    """The table whose header is ``cells[header]`` (0-based)."""
    rows = _with_formulas(cells[header + 1 :], scan.formulas or {}, start=header + 2)
    return Table(
        headers=[_text(v) for v in cells[header]] if header < len(cells) else [],
        rows=list(_limited(rows, limits, start=header + 2)),
        sheet=sheet,
        header_row=header + 1,
        hidden_columns=scan.hidden_columns,
        hidden_rows=tuple(r for r in scan.hidden_rows if r > header + 1),
    )


def _header_row(rows: Iterable[list]) -> int | None:
    """The 0-based index, within the first rows, of the row with the most known headers (the
    first of equals), if it has enough to be a header."""
    best, best_count = None, HEADER_MIN_RECOGNISED - 1
    for index, row in enumerate(rows):
        if index >= HEADER_SEARCH_ROWS:
            break
        count = recognised_count(row)
        if count > best_count:
            best, best_count = index, count
    return best


def _first_filled_row(rows: list[list]) -> int:
    """Where the header of a sheet without a recognisable one is taken from: its first row
    that is not empty (the import then names the columns it lacks)."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_text(v) for v in row):
            return index
    return 0


def _refuse_zip_bomb(archive: zipfile.ZipFile, limits: Limits) -> None:
    for member in archive.infolist():
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO or member.file_size > 20 * limits.max_bytes:
            raise FileRefused(_("The workbook expands to far more than it holds (a 'zip bomb')."))


# The worksheet XML is scanned as it is decompressed, for what calamine does not give: how many
# rows hold a value (so that an over-long sheet is refused before it is loaded, and thousands
# of formatted but empty rows do not count), which cells hold formulas (calamine reads their
# last computed values, which we must not import), and which rows and columns are hidden.
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*(?<!/)>")
_EMPTY_ROW = re.compile(
    rb"<(?:\w+:)?row\b[^>]*(?<!/)>"
    rb"(?:\s|<(?:\w+:)?c\b[^>]*/>|<(?:\w+:)?c\b[^>]*(?<!/)>\s*</(?:\w+:)?c>)*"
    rb"</(?:\w+:)?row>"
)
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*\bhidden="(?:1|true)"[^>]*)>')
_COLUMN_TAG = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\br="([0-9]{1,7})"')
_COLUMN_SPAN = re.compile(rb'\bmin="([0-9]{1,5})"[^>]*?\bmax="([0-9]{1,5})"')
_SPAN_REVERSED = re.compile(rb'\bmax="([0-9]{1,5})"[^>]*?\bmin="([0-9]{1,5})"')
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f[\s/>]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_CELL_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')


def _scan_sheet(
    archive: zipfile.ZipFile, part: str, limits: Limits, *, exact: bool = False
) -> _SheetScan:
    """Refuses a sheet with more rows holding values than the limit allows (plus title rows
    and the header).

    Rows are first counted by their tags alone, an upper bound of the rows holding a value:
    the regular expressions that tell a filled row from a formatted empty one took half a
    second of a 100,000-row file. Only a sheet whose tags exceed the limit is scanned again
    ``exact``ly, so that thousands of formatted but empty rows do not refuse it."""
    formulas: dict[tuple[int, int], str] = {}
    hidden_rows: list[int] = []
    hidden_columns: set[int] = set()
    rows = 0
    pending = b""
    with archive.open(part) as sheet:
        while True:
            piece = sheet.read(2**20)
            pending += piece
            # Cut after a row tag: no formula cell and no row start spans that point.
            cut = len(pending) if not piece else pending.rfind(b"row>") + len(b"row>")
            if piece and cut < len(b"row>"):
                continue
            complete, pending = pending[:cut], pending[cut:]
            rows += _note_rows(complete, hidden_rows, exact=exact)
            if rows > limits.max_rows + HEADER_SEARCH_ROWS:
                if not exact:
                    return _scan_sheet(archive, part, limits, exact=True)
                raise FileRefused(_too_many_rows(limits))
            _note_hidden_columns(complete, hidden_columns)
            _note_formulas(complete, formulas)
            if not piece:
                return _SheetScan(rows, formulas, tuple(hidden_rows), frozenset(hidden_columns))


def _note_rows(xml: bytes, hidden: list[int], *, exact: bool) -> int:
    """The rows in ``xml`` that hold a value, or (not ``exact``) at least as many; hidden ones
    are added to ``hidden``. A formatted empty cell is written ``<c r="B7" s="3"/>`` (Excel)
    or ``<c r="B7" s="3"></c>`` (openpyxl). Counted by regular expressions alone: a Python
    step per row would cost a second per 100,000 rows."""
    # Each regular expression costs half a second on 100,000 rows; a plain search for the
    # characters it needs, a thousandth of that, says when it can find nothing.
    if b"hidden=" in xml:
        for attributes in _HIDDEN_ROW.findall(xml):
            if number := _ROW_NUMBER.search(attributes):
                hidden.append(int(number.group(1)))
    if not exact:
        # Every row's start tag, prefixed (<x:row) or not, and a prefixed row's end tag too.
        return xml.count(b"<row") + xml.count(b":row")
    rows = len(_ROW.findall(xml))
    # Formatted empty cells: <c r="B7" s="3"/> or <c r="B7" s="3"></c>.
    if b"/>" in xml or b'"></c>' in xml:
        rows -= len(_EMPTY_ROW.findall(xml))
    return rows


def _note_hidden_columns(xml: bytes, hidden: set[int]) -> None:
    if b"<cols" not in xml and b":cols" not in xml:
        return
    for match in _COLUMN_TAG.finditer(xml):
        attributes = match.group(1)
        if not _HIDDEN.search(attributes):
            continue
        if span := _COLUMN_SPAN.search(attributes):
            first, last = int(span.group(1)), int(span.group(2))
        elif span := _SPAN_REVERSED.search(attributes):
            first, last = int(span.group(2)), int(span.group(1))
        else:
            continue
        hidden.update(range(first - 1, min(last, 16384)))


def _note_formulas(xml: bytes, formulas: dict) -> None:
    if b"<f" not in xml and b":f" not in xml:
        return
    located = 0
    for match in _FORMULA_CELL.finditer(xml):
        if reference := _CELL_REFERENCE.search(match.group(1)):
            formulas[(int(reference.group(2)), _column_number(reference.group(1)))] = "="
            located += 1
    if located != len(_FORMULA.findall(xml)):
        raise FileRefused(_("The workbook holds formulas; type the values themselves."))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The zip member of each sheet, in the order xl/workbook.xml lists them (calamine's)."""
    relationships = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {e.get("Id"): e.get("Target") for e in links}
    parts = []
    for sheet in (e for e in book.iter() if e.tag.endswith("}sheet")):
        target = targets[sheet.get(relationships)]
        parts.append(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


def _with_formulas(rows, formulas: dict, *, start: int) -> Iterator[list]:
    """Rows with each formula cell's computed value replaced by "=", which the import reports."""
    for number, values in enumerate(rows, start=start):
        if formulas:
            values = list(values)
            for column in range(1, len(values) + 1):
                if (number, column) in formulas:
                    values[column - 1] = "="
        yield values


# --- .xls ---------------------------------------------------------------------------------


def _read_xls(data: bytes, limits: Limits) -> Table:
    if not data.startswith(XLS_MAGIC):
        raise FileRefused(
            _("This file is not an Excel 97-2003 workbook, although its name ends .xls.")
        )
    try:
        facts = xls.scan(data)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return _first_table(_xls_sheets(book, facts), limits)
    except FileRefused:
        raise
    except (xls.NotReadable, OSError, ValueError, IndexError, CalamineError) as error:
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from error


def _xls_sheets(
    book: CalamineWorkbook, facts: list[xls.SheetFacts]
) -> Iterator[tuple[str, list[list], _SheetScan]]:
    """(name, cells, scan) of each visible worksheet, read as it is asked for; a sheet with
    formulas is refused."""
    for index, meta in enumerate(book.sheets_metadata):
        if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
            continue
        found_scan = facts[index] if index < len(facts) else xls.SheetFacts()
        if found_scan.formulas:
            raise FileRefused(_("The workbook holds formulas; type the values themselves."))
        scan = _SheetScan(
            hidden_rows=found_scan.hidden_rows, hidden_columns=found_scan.hidden_columns
        )
        sheet = book.get_sheet_by_index(index)
        yield sheet.name, sheet.to_python(skip_empty_area=False), scan


# --- .csv ---------------------------------------------------------------------------------


def _read_csv(data: bytes, limits: Limits) -> Table:
    if data.startswith(XLSX_MAGIC) or b"\x00" in data[:4096]:
        raise FileRefused(_("This file is not a CSV text file, although its name ends .csv."))
    # GB18030 reads GBK and GB2312 too: what Excel and WPS save a CSV in on a Chinese Windows.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused(_("The CSV file is neither UTF-8 nor GB18030 text."))
    reader = csv.reader(io.StringIO(text, newline=""))
    top = []
    for row in reader:
        top.append(row)
        if len(top) == HEADER_SEARCH_ROWS:
            break
    header = _header_row(top)
    if header is None:
        header = _first_filled_row(top)
    rows = [*top[header + 1 :], *reader]
    return Table(
        headers=[_text(v) for v in top[header]] if top else [],
        rows=list(_limited(rows, limits, start=header + 2)),
        header_row=header + 1,
    )


def _limited(rows, limits: Limits, *, start: int) -> Iterator[tuple[int, list]]:
    count = 0
    for number, values in enumerate(rows, start=start):
        # Most rows start with a filled cell: the whole row is looked through only otherwise.
        first = values[0] if values else None
        if (first is None or (type(first) is str and not first.strip())) and all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue  # blank lines are not residents
        count += 1
        if count > limits.max_rows:
            raise FileRefused(_too_many_rows(limits))
        # The reader's own list is kept (a copy held 20 MB more while a sheet was read).
        yield number, values if type(values) is list else list(values)


def _too_many_rows(limits: Limits) -> str:
    return _("The file has more than %(limit)s rows; split it into smaller files.") % {
        "limit": f"{limits.max_rows:,}"
    }


def _text(value) -> str:
    return "" if value is None else str(value).strip()
