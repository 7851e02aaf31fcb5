"""Cells that are safe to open in a spreadsheet program.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read
as a formula by Excel, WPS or LibreOffice ("CSV injection"). Every exported text cell goes
through ``neutralise``, which puts an apostrophe in front: the program shows the text as typed
and never evaluates it. django-import-export's own escaping strips only a leading ``=``, and
only on admin exports.
"""

import io

import xlsxwriter
from import_export.formats.base_formats import XLSX

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """The value ``neutralise`` was given, so that an exported file imports back as it was."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class FastXLSX(XLSX):
    """.xlsx export through XlsxWriter, row by row in its constant-memory mode.

    The library writes through openpyxl, keeping a cell object per value; openpyxl's own
    write-only mode still spent 26 s of a 100,000-resident export formatting cells. Strings
    are always written as text, never as formulas, numbers or links, whatever they start with.
    """

    OPTIONS = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "default_date_format": "yyyy-mm-dd",
        "remove_timezone": True,
    }

    def export_data(self, dataset, **kwargs):
        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, self.OPTIONS)
        sheet = book.add_worksheet((dataset.title or "Sheet1")[:31])
        sheet.write_row(0, 0, list(dataset.headers or []))
        for number, row in enumerate(dataset, start=1):
            sheet.write_row(number, 0, row)
        book.close()
        return output.getvalue()
