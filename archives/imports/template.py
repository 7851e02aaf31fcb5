"""The template workbook a community starts from: the header row as the import reads it, one
example row, and a sheet of instructions, in the user's language."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from archives.imports.residents import REQUIRED, column_names
from archives.validators import id_number_check_char

_EXAMPLE_ID = "22240519560314002"  # a woman born 1956-03-14; the check character follows
EXAMPLE = {
    "id_number": _EXAMPLE_ID + id_number_check_char(_EXAMPLE_ID),
    "name": "金顺姬",
    "sex": "",
    "birth_date": "",
    "ethnicity": "朝鲜族",
    "phone": "13943321234",
    "grid": "G0001",
    "building": "龙门路1号",
    "unit": 1,
    "floor": 3,
    "room": "301",
    "relation_to_head": "户主",
    "residency_status": "户籍",
    "tags": "独居老人、慢性病",
    "medical_history": "高血压",
}


def resident_template_workbook(language_index: int) -> bytes:
    """``language_index``: 0 for Chinese headers, 1 for English (either imports)."""
    names = column_names()
    book = Workbook()
    sheet = book.active
    sheet.title = _("residents")
    keys = list(names)
    sheet.append([names[key][language_index] for key in keys])
    sheet.append([EXAMPLE.get(key, "") for key in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet(_("instructions"))
    lines = [
        _("One resident per row, below the header row. Replace the example row."),
        _("Required columns: %(columns)s.")
        % {"columns": "、".join(names[key][language_index] for key in REQUIRED)},
        _("Sex and birth date may be left empty: they are read from the ID number."),
        _("A row whose ID number belongs to a resident in your grids updates that resident."),
        _("Buildings and households that do not exist yet in your grids are created."),
        _("Tags: names separated by 、 or commas, e.g. 独居老人、慢性病."),
        _("Type values, not formulas. Dates as 1956-03-14."),
        _("If any row has an error, nothing is imported: the preview lists every error."),
    ]
    for line in lines:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 90
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
