"""The template workbooks a community starts from: the header row as the import reads it, one
example row, and a sheet of instructions, in the user's language.

The template is where most files begin, so it prevents what spreadsheet programs otherwise do
to the data: ID number, phone and code columns are formatted as text (a General-format column
turns an 18-digit ID number into a number with 15 significant digits, and drops the 0 of 0401
or of a landline's area code), and grid, sex, ethnicity, relation, status and tags offer
drop-down lists (the user's own grids only) read from a hidden sheet.
"""

import io
from typing import cast

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from archives import scope
from archives.imports import buildings, households, residents
from archives.models import Building, Grid, Household, Resident, Tag
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
BUILDING_EXAMPLE = {
    "grid": "G0001",
    "address": "龙门路3号",
    "units": 2,
    "floors": 6,
    "latitude": 42.904823,
    "longitude": 129.513312,
}

#: Rows below the header that are formatted as text and offer the lists: a grid's residents
#: fit several times over.
TEMPLATE_ROWS = 2000
#: Columns formatted as text: long digit strings and codes whose leading zeros matter.
TEXT_COLUMNS = frozenset({"id_number", "phone", "grid", "building", "address", "room"})
#: Columns offered as a drop-down list: field key -> the model whose choices it lists.
CHOICE_COLUMNS: dict[str, type[models.Model]] = {
    "sex": Resident,
    "ethnicity": Resident,
    "relation_to_head": Resident,
    "residency_status": Resident,
    "status": Household,
}
#: Number columns whose values a cell refuses outside a range: field key -> (lowest, highest).
RANGE_COLUMNS = {"latitude": (-90, 90), "longitude": (-180, 180)}
_LANGUAGES = ("zh-hans", "en")


def resident_template_workbook(language_index: int, *, user=None) -> bytes:
    """``language_index``: 0 for Chinese headers, 1 for English (either imports); ``user``:
    whose grids the grid column lists."""
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
            _(
                "The tags column's list offers one tag at a time; for several tags type them "
                "separated by 、 (the list accepts what you type)."
            ),
            _id_number_line(),
            *_common_lines(),
        ],
        user=user,
        for_model=Resident,
    )


def household_template_workbook(language_index: int, *, user=None) -> bytes:
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
        user=user,
        for_model=Household,
    )


def building_template_workbook(language_index: int, *, user=None) -> bytes:
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
            _(
                "Latitude and longitude (optional): the building's position in decimal degrees, "
                "as a phone's map shows it, e.g. 42.904823 and 129.513312. Give both, or leave "
                "both empty."
            ),
            _(
                "A file without the latitude and longitude columns leaves the stored positions "
                "as they are; empty cells in those columns clear a building's position."
            ),
            *_common_lines(),
        ],
        user=user,
        for_model=Building,
    )


def _required(names: dict, required: list[str], language_index: int) -> str:
    return _("Required columns: %(columns)s.") % {
        "columns": "、".join(names[key][language_index] for key in required)
    }


def _id_number_line() -> str:
    return _(
        "ID numbers, phones, grid codes and rooms are formatted as text: keep them so. Pasted "
        "into a General-format column, an ID number loses its last digits and is refused."
    )


def _common_lines() -> list[str]:
    return [
        _("Type values, not formulas. Dates as 1956-03-14."),
        _("If any row has an error, nothing is imported: the preview lists every error."),
    ]


def _workbook(
    names: dict,
    example: dict,
    title: str,
    language_index: int,
    lines,
    *,
    user,
    for_model: type[models.Model],
) -> bytes:
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
    for index, key in enumerate(keys, start=1):
        if key in TEXT_COLUMNS:
            _format_as_text(sheet, index)
    help_sheet = book.create_sheet(_("instructions"))
    for line in lines:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 90
    _offer_ranges(sheet, keys)
    lists = _lists(keys, language_index, user=user, for_model=for_model)
    if lists:
        _offer_lists(book, sheet, keys, names, language_index, lists)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _format_as_text(sheet, column: int) -> None:
    """The column's style (what Excel and WPS give a cell typed into it) and its first rows'
    cells are text, "@"."""
    letter = get_column_letter(column)
    sheet.column_dimensions[letter].number_format = "@"
    for row in range(2, TEMPLATE_ROWS + 2):
        cell = sheet.cell(row=row, column=column)
        cell.number_format = "@"
        if isinstance(cell.value, int):
            cell.value = str(cell.value)


def _offer_ranges(sheet, keys: list[str]) -> None:
    """Cells of a range column refuse a number outside it (a latitude of 129.5 is a longitude
    typed in the wrong column) as they are typed; the import checks again."""
    for key, (lowest, highest) in RANGE_COLUMNS.items():
        if key not in keys:
            continue
        column = get_column_letter(keys.index(key) + 1)
        validation = DataValidation(
            type="decimal",
            operator="between",
            formula1=str(lowest),
            formula2=str(highest),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Not a coordinate"),
            error=_("Type decimal degrees between %(lowest)s and %(highest)s.")
            % {"lowest": lowest, "highest": highest},
        )
        validation.add(f"{column}2:{column}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)


def _lists(keys: list[str], language_index: int, *, user, for_model) -> dict[str, list[str]]:
    """Each listed column's values, as the import reads them, in the template's language."""
    lists: dict[str, list[str]] = {}
    with translation.override(_LANGUAGES[language_index]):
        for key in keys:
            if key in CHOICE_COLUMNS:
                field = cast(models.Field, CHOICE_COLUMNS[key]._meta.get_field(key))
                lists[key] = [str(label) for _value, label in field.flatchoices]
    if "grid" in keys and user is not None:
        grids = scope.writable(Grid.objects.order_by("code"), user, for_model=for_model)
        lists["grid"] = list(grids.values_list("code", flat=True))
    if "tags" in keys:
        lists["tags"] = list(Tag.objects.order_by("code").values_list("name", flat=True))
    return {key: values for key, values in lists.items() if values}


def _offer_lists(book, sheet, keys, names, language_index: int, lists: dict) -> None:
    """A drop-down list on each listed column, read from a hidden sheet (a list written into
    the validation itself is limited to 255 characters: too short for a street's grids)."""
    helper = book.create_sheet(_("lists"))
    helper.sheet_state = "hidden"
    last_row = TEMPLATE_ROWS + 1
    for number, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(number)
        helper.cell(row=1, column=number, value=names[key][language_index])
        for row, value in enumerate(values, start=2):
            helper.cell(row=row, column=number, value=value).number_format = "@"
        source = f"{quote_sheetname(helper.title)}!${letter}$2:${letter}${len(values) + 1}"
        column = get_column_letter(keys.index(key) + 1)
        several = key == "tags"
        validation = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            # Tags are several values in one cell: the list helps with one, and must not
            # refuse "独居老人、慢性病" typed by hand.
            showErrorMessage=not several,
            errorTitle=_("Not in the list"),
            error=_("Choose a value from the list."),
            promptTitle=names[key][language_index] if several else None,
            prompt=_("Choose one tag, or type several separated by 、") if several else None,
            showInputMessage=several,
        )
        validation.add(f"{column}2:{column}{last_row}")
        sheet.add_data_validation(validation)
        if several:
            sheet[f"{column}1"].comment = Comment(
                _("Choose one tag from the list, or type several separated by 、"), "portal"
            )
