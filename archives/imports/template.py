"""The template workbooks a community starts from: the header row as the import reads it, one
example row, and a sheet of instructions, in the user's language."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from archives.imports import buildings, households, residents
from archives.validators import id_number_check_char

_EXAMPLE_ID = "22240519560314002"  # a woman born 1956-03-14; the check character follows
_PLACE = {"grid": "G0001", "building": "龙门路1号", "unit": 1, "floor": 3, "room": "301"}
RESIDENT_EXAMPLE = {
    "id_number": _EXAMPLE_ID + id_number_check_char(_EXAMPLE_ID),
    "name": "金顺姬",
    "ethnicity": "朝鲜族",
    "phone": "13943321234",
    **_PLACE,
    "relation_to_head": "户主",
    "residency_status": "户籍",
    "tags": "独居老人、慢性病",
    "medical_history": "高血压",
}
HOUSEHOLD_EXAMPLE = {**_PLACE, "room": "302", "status": "空置"}
BUILDING_EXAMPLE = {"grid": "G0001", "address": "龙门路3号", "units": 2, "floors": 6}


def resident_template_workbook(language_index: int) -> bytes:
    """``language_index``: 0 for Chinese headers, 1 for English (either imports)."""
    names = residents.column_names()
    return _workbook(
        names,
        RESIDENT_EXAMPLE,
        _("residents"),
        language_index,
        [
            _("One resident per row, below the header row. Replace the example row."),
            _required(names, residents.REQUIRED, language_index),
            _("Sex and birth date may be left empty: they are read from the ID number."),
            _("A row whose ID number belongs to a resident in your grids updates that resident."),
            _("Buildings and households that do not exist yet in your grids are created."),
            _("Tags: names separated by 、 or commas, e.g. 独居老人、慢性病."),
            *_common_lines(),
        ],
    )


def household_template_workbook(language_index: int) -> bytes:
    names = households.column_names()
    return _workbook(
        names,
        HOUSEHOLD_EXAMPLE,
        _("households"),
        language_index,
        [
            _("One household (dwelling) per row, with or without residents, e.g. a vacant home."),
            _required(names, households.REQUIRED, language_index),
            _("Status: occupied, vacant or rented; empty means occupied."),
            _("A household that exists in your grids gets the status of its row."),
            _("Buildings that do not exist yet in your grids are created."),
            *_common_lines(),
        ],
    )


def building_template_workbook(language_index: int) -> bytes:
    names = buildings.column_names()
    return _workbook(
        names,
        BUILDING_EXAMPLE,
        _("buildings"),
        language_index,
        [
            _("One building per row: its grid, address, number of units and of floors."),
            _required(names, buildings.REQUIRED, language_index),
            _("A building with the same grid and address in your grids is updated."),
            _("A building cannot become smaller than the households recorded in it."),
            *_common_lines(),
        ],
    )


def _required(names: dict, required: list[str], language_index: int) -> str:
    return _("Required columns: %(columns)s.") % {
        "columns": "、".join(names[key][language_index] for key in required)
    }


def _common_lines() -> list[str]:
    return [
        _("Type values, not formulas. Dates as 1956-03-14."),
        _("If any row has an error, nothing is imported: the preview lists every error."),
    ]


def _workbook(names: dict, example: dict, title: str, language_index: int, lines) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    keys = list(names)
    sheet.append([names[key][language_index] for key in keys])
    sheet.append([example.get(key, "") for key in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet(_("instructions"))
    for line in lines:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 90
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
