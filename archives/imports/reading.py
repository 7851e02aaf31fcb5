"""Reading an uploaded spreadsheet safely: .xlsx streamed with openpyxl (defusedxml refuses XML
bombs), .csv in UTF-8 or GB18030. A file that is too big, not what its name says, a corrupt or
over-compressed zip, formulas, too many rows, no header or no data is refused with a sentence
a clerk understands, before anything is written.
"""

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# A real workbook's parts shrink 5-20 times; a zip bomb shrinks thousands of times.
MAX_COMPRESSION_RATIO = 100


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


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file by its size alone, before it is read into memory."""
    if size > limits.max_bytes:
        raise FileRefused(
            _("The file is %(size)s MB; files up to %(limit)s MB are accepted.")
            % {"size": round(size / 2**20, 1), "limit": round(limits.max_bytes / 2**20, 1)}
        )


def read_table(name: str, data: bytes, limits: Limits) -> Table:
    if not data:
        raise FileRefused(_("The file is empty."))
    check_size(len(data), limits)
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        table = _read_xlsx(data, limits)
    elif lowered.endswith(".csv"):
        table = _read_csv(data, limits)
    else:
        raise FileRefused(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if not any(h for h in table.headers):
        raise FileRefused(_("The file has no header row."))
    if not table.rows:
        raise FileRefused(_("The file has a header row but no residents below it."))
    return table


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    import openpyxl

    if not data.startswith(XLSX_MAGIC):
        raise FileRefused(_("This file is not an Excel workbook, although its name ends .xlsx."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                ratio = member.file_size / max(member.compress_size, 1)
                if ratio > MAX_COMPRESSION_RATIO or member.file_size > 20 * limits.max_bytes:
                    raise FileRefused(
                        _("The workbook expands to far more than it holds (a 'zip bomb').")
                    )
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except FileRefused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from error
    except Exception as error:  # defusedxml's refusals and openpyxl's own parse errors
        raise FileRefused(
            _("The workbook cannot be read safely: %(why)s") % {"why": error}
        ) from error
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headers = [_text(v) for v in next(rows, ())]
        return Table(headers=headers, rows=list(_limited(rows, limits, start=2)))
    finally:
        book.close()


def _read_csv(data: bytes, limits: Limits) -> Table:
    if data.startswith(XLSX_MAGIC) or b"\x00" in data[:4096]:
        raise FileRefused(_("This file is not a CSV text file, although its name ends .csv."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused(_("The CSV file is neither UTF-8 nor GB18030 text."))
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = [_text(v) for v in next(reader, [])]
    return Table(headers=headers, rows=list(_limited(reader, limits, start=2)))


def _limited(rows, limits: Limits, *, start: int) -> Iterator[tuple[int, list]]:
    count = 0
    for number, values in enumerate(rows, start=start):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines are not residents
        count += 1
        if count > limits.max_rows:
            raise FileRefused(
                _("The file has more than %(limit)s rows; split it into smaller files.")
                % {"limit": f"{limits.max_rows:,}"}
            )
        yield number, list(values)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def cell_text(value) -> str:
    """A cell as text: numbers typed into text columns (phone, room) lose a trailing '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()
