"""Spreadsheets as community offices really send them, built in code: Excel and WPS workbooks
with number-format ID cells, title rows above the header, an instructions sheet before the
data, hidden columns and rows, thousands of formatted empty rows; CSV saved as GBK, GB18030 or
UTF-8 with a BOM; Excel 97-2003 .xls files (written with xlwt, as older machines save them).
"""

import csv
import datetime as dt
import io

import openpyxl
import xlwt
from django.utils import translation
from openpyxl.styles import Font, PatternFill

from archives.imports.residents import column_names
from tests import factories

with translation.override("zh-hans"):
    HEADERS = [names[0] for names in column_names().values()]
KEYS = list(column_names())
TITLE = "XX社区居民信息表"


def header(key: str) -> str:
    return HEADERS[KEYS.index(key)]


def resident_row(household=None, **values) -> dict:
    """A new resident's row by field key; ``household`` (an existing one) gives the place."""
    row = {
        "id_number": factories.id_number_for(dt.date(1980, 1, 2), "F"),
        "name": "新居民",
        "phone": "13900000000",
    }
    if household is not None:
        row.update(
            grid=household.building.grid.code,
            building=household.building.address,
            unit=household.unit,
            floor=household.floor,
            room=household.room,
        )
    row.update(values)
    return row


def cells(row: dict, headers: list[str] = HEADERS) -> list:
    """The row's values under ``headers`` (the template's, or any subset and order of them)."""
    key_of = dict(zip(HEADERS, KEYS, strict=True))
    return [row.get(key_of.get(h, h), "") for h in headers]


def as_excel_number(id_number: str) -> float:
    """What Excel stores when an ID number is typed into a General-format cell: a number with
    15 significant digits (222405198001020027 becomes 222405198001020000)."""
    return float(f"{int(id_number):.15g}")


def excel_file(
    rows: list[list],
    headers: list[str] = HEADERS,
    *,
    title_rows: int = 0,
    sheet_title: str = "Sheet1",
    instructions_first: bool = False,
    hidden_columns: tuple[str, ...] = (),
    hidden_rows: tuple[int, ...] = (),
    formatted_empty_rows: int = 0,
) -> bytes:
    """An .xlsx as Excel or WPS saves it. ``title_rows``: a merged, bold title row and blank
    rows above the header; ``hidden_columns``: letters; ``hidden_rows``: row numbers;
    ``formatted_empty_rows``: rows below the data whose cells have a fill but no value."""
    book = openpyxl.Workbook()
    sheet = book.active
    if instructions_first:
        sheet.title = "填表说明"
        sheet.append(["请在第二张表中填写居民信息。"])
        sheet.append(["身份证号请按文本格式填写。"])
        sheet = book.create_sheet(sheet_title)
    else:
        sheet.title = sheet_title
    for number in range(1, title_rows + 1):
        if number == 1:
            sheet.append([TITLE])
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
            sheet["A1"].font = Font(bold=True, size=16)
        else:
            sheet.append([])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    fill = PatternFill("solid", fgColor="FFFF00")
    last = sheet.max_row
    for number in range(last + 1, last + 1 + formatted_empty_rows):
        for column in range(1, 4):
            sheet.cell(row=number, column=column).fill = fill
    for letter in hidden_columns:
        sheet.column_dimensions[letter].hidden = True
    for number in hidden_rows:
        sheet.row_dimensions[number].hidden = True
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def csv_file(
    rows: list[list], headers: list[str] = HEADERS, *, encoding: str, title_rows: int = 0
) -> bytes:
    """A CSV as Excel saves it: "CSV (逗号分隔)" writes the system's code page (GBK, or
    GB18030), "CSV UTF-8" writes UTF-8 with a BOM."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    if title_rows:
        writer.writerow([TITLE] + [""] * (len(headers) - 1))
        for _ in range(title_rows - 1):
            writer.writerow([""] * len(headers))
    writer.writerow(headers)
    writer.writerows(rows)
    return output.getvalue().encode(encoding)


def xls_file(
    rows: list[list],
    headers: list[str] = HEADERS,
    *,
    title_rows: int = 0,
    instructions_first: bool = False,
    hidden_columns: tuple[int, ...] = (),
    formula_at: tuple[int, int] | None = None,
) -> bytes:
    """An Excel 97-2003 workbook. ``hidden_columns``: 0-based; ``formula_at``: (row, column),
    0-based, of a cell holding a formula."""
    book = xlwt.Workbook(encoding="utf-8")
    if instructions_first:
        book.add_sheet("填表说明").write(0, 0, "请在第二张表中填写居民信息。")
    sheet = book.add_sheet("居民")
    if title_rows:
        sheet.write(0, 0, TITLE)
    for column, text in enumerate(headers):
        sheet.write(title_rows, column, text)
    for number, row in enumerate(rows, start=title_rows + 1):
        for column, value in enumerate(row):
            if value not in ("", None):
                sheet.write(number, column, value)
    if formula_at:
        sheet.write(*formula_at, xlwt.Formula("1+1"))
    for column in hidden_columns:
        sheet.col(column).hidden = True
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
