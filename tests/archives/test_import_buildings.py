"""Importing buildings: a community's list of buildings before any household is recorded."""

import io
from decimal import Decimal

import openpyxl
import pytest

from archives.imports.buildings import column_names
from archives.models import Building
from tests.archives.import_corpus import csv_file, excel_file, xls_file
from tests.archives.test_export import export
from tests.archives.test_import import errors_of, xlsx
from tests.archives.test_import import upload as post_file

pytestmark = pytest.mark.django_db

IMPORT = "/admin/archives/building/import/"
CONFIRM = "/admin/archives/building/import/confirm/"
HEADERS = [names[0] for names in column_names().values()]


def row(**values) -> list:
    defaults = {"grid": "GA1a", "address": "GA1a路5号", "units": 2, "floors": 9}
    defaults.update(values)
    return [defaults.get(key, "") for key in column_names()]


def upload(client, name: str, data: bytes):
    return post_file(client, name, data, url=IMPORT)


def test_new_buildings_are_imported_with_history(client, city):
    client.force_login(city.users["clerk"])
    response = upload(client, "楼栋.xlsx", xlsx([row(), row(address="GA1a路6号")], HEADERS))
    assert errors_of(response) == []
    assert response.context["counts"] == {"new": 2, "update": 0, "unchanged": 0}
    assert not Building.objects.filter(address="GA1a路5号").exists()  # a preview writes nothing
    client.post(CONFIRM)  # creating buildings needs its tick: nothing yet
    assert not Building.objects.filter(address="GA1a路5号").exists()
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    building = Building.objects.get(address="GA1a路5号")
    assert (building.grid.code, building.units, building.floors) == ("GA1a", 2, 9)
    entry = building.history.get()
    assert (entry.history_user, entry.history_change_reason) == (
        city.users["clerk"],
        "导入文件 楼栋.xlsx（clerk）",
    )


def test_an_existing_building_is_resized_and_an_export_imports_back_unchanged(client, city):
    client.force_login(city.users["street"])
    rows = export(client, "building", "xlsx")
    response = upload(client, "导出.xlsx", xlsx(rows[1:], rows[0]))
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 3}
    rows[1][rows[0].index("层数")] = 12
    response = upload(client, "加层.xlsx", xlsx(rows[1:], rows[0]))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 2}
    client.post(CONFIRM)
    resized = Building.objects.get(floors=12)
    assert resized.history.latest().history_change_reason == "导入文件 加层.xlsx（street）"


def test_every_error_is_listed_and_nothing_is_written(client, city):
    household = city.residents["GA1a"].household
    household.floor = 4
    household.save()
    client.force_login(city.users["clerk"])
    rows = [
        row(),  # row 2: fine
        row(grid="GB1a"),  # row 3: another street
        row(),  # row 4: the same building as row 2
        row(address="GA1a路1号", units=3, floors=3),  # row 5: a household lives on floor 4
        row(address="", units=0),  # row 6
    ]
    response = upload(client, "错误.xlsx", xlsx(rows, HEADERS))
    assert [(e.row, e.column) for e in response.context["plan"].errors] == [
        (3, "网格编码"),
        (4, "地址"),
        (5, "层数"),
        (6, "地址"),
        (6, "单元数"),
    ]
    assert response.context["plan"].errors[2].message == "已有住户登记在第 4 层"
    assert client.post(CONFIRM).status_code == 302  # nothing is waiting
    assert not Building.objects.filter(address="GA1a路5号").exists()


def test_the_building_template_has_headers_an_example_and_instructions(client, city):
    client.force_login(city.users["clerk"])
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{IMPORT}template.xlsx").content))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    assert book.worksheets[0]["B2"].value == "龙门路3号"
    assert len(book.worksheets) == 3 and book.worksheets[1].max_row >= 4


# --- positions ------------------------------------------------------------------------------

GA1A = "GA1a路1号"  # the clerk's stored building
#: The building file's headers without the position columns: an older export, or one whose
#: position columns were deleted.
WITHOUT_POSITION = HEADERS[:4]


def positioned(address: str, latitude, longitude) -> list:
    """A row of the size the stored buildings have: only its position may change."""
    return row(address=address, units=3, floors=6, latitude=latitude, longitude=longitude)


def place_ga1a(latitude="42.904823", longitude="129.513312") -> Building:
    building = Building.objects.get(address=GA1A)
    building.latitude, building.longitude = Decimal(latitude), Decimal(longitude)
    building.save()
    return building


def position_of(address: str) -> tuple:
    return tuple(Building.objects.values_list("latitude", "longitude").get(address=address))


def test_the_position_columns_are_the_exports_latitude_and_longitude():
    assert HEADERS == ["网格编码", "地址", "单元数", "层数", "纬度", "经度"]


@pytest.mark.parametrize(
    ("written_latitude", "written_longitude"),
    [
        (42.904823, 129.513312),  # numbers, as Excel stores what is typed into a General cell
        ("42.904823", "129.513312"),  # a text column
        ("４２．９０４８２３", "１２９．５１３３１２"),  # full-width digits and point
        ("42。904823", "129。513312"),  # the point of a Chinese input method
        (" 42.904823 ", "\u3000129.513312\u00a0"),  # spaces around, ideographic and no-break
        ("42.904823°", "129.513312°"),
        (42.9048234, 129.5133116),  # more decimals than stored: rounded to 0.1 m
    ],
)
def test_positions_are_read_as_offices_type_them(client, city, written_latitude, written_longitude):
    client.force_login(city.users["clerk"])
    data = excel_file([positioned("GA1a路7号", written_latitude, written_longitude)], HEADERS)
    response = upload(client, "楼栋.xlsx", data)
    assert errors_of(response) == []
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    assert position_of("GA1a路7号") == (Decimal("42.904823"), Decimal("129.513312"))


@pytest.mark.parametrize(
    "headers",
    [
        ["网格", "楼栋地址", "单元数量", "楼层数", "lat", "lng"],
        ["网格编号", "地址", "单元数", "总层数", "Lat", "Lon"],
        ["grid code", "address", "units", "floors", "纬度（°）", "经度（°）"],
        ["网格编码", "地址", "单元数", "层数", "北纬", "东经"],
    ],
)
def test_position_headers_as_offices_write_them_are_recognised(client, city, headers):
    client.force_login(city.users["clerk"])
    response = upload(
        client, "楼栋.csv", csv_file([[*row()[:4], 42.9, -129.5]], headers, encoding="gbk")
    )
    assert errors_of(response) == [] and response.context["plan"].ignored == []
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    assert position_of("GA1a路5号") == (Decimal("42.900000"), Decimal("-129.500000"))


def test_an_xls_from_an_older_office_machine_brings_positions(client, city):
    client.force_login(city.users["clerk"])
    data = xls_file([positioned("GA1a路8号", 42.904823, 129.513312)], HEADERS)
    assert errors_of(upload(client, "楼栋.xls", data)) == []
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    assert position_of("GA1a路8号") == (Decimal("42.904823"), Decimal("129.513312"))


def test_a_file_without_the_position_columns_leaves_stored_positions_alone(client, city):
    # The production lesson: a re-imported file whose position columns were deleted must not
    # wipe out the positions offices had entered.
    place_ga1a()
    client.force_login(city.users["clerk"])
    same = upload(
        client, "旧表.xlsx", excel_file([row(address=GA1A, units=3, floors=6)], WITHOUT_POSITION)
    )
    assert same.context["counts"] == {"new": 0, "update": 0, "unchanged": 1}
    taller = row(address=GA1A, units=3, floors=7)
    response = upload(client, "加层.xlsx", excel_file([taller], WITHOUT_POSITION))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    assert response.context["plan"].acknowledgements() == []  # nothing is cleared
    client.post(CONFIRM)
    building = Building.objects.get(address=GA1A)
    assert building.floors == 7
    assert (building.latitude, building.longitude) == (Decimal("42.904823"), Decimal("129.513312"))


def test_empty_position_cells_clear_a_stored_position_only_after_a_tick(client, city):
    place_ga1a()
    client.force_login(city.users["clerk"])
    response = upload(client, "清空.xlsx", excel_file([positioned(GA1A, "", "")], HEADERS))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    assert response.context["plan"].acknowledgements() == ["clearing"]
    page = response.content.decode()
    assert "确实要清空已存的位置（纬度和经度）" in page
    assert "纬度: 42.904823 → —" in page
    client.post(CONFIRM)  # without the tick: nothing
    assert position_of(GA1A) == (Decimal("42.904823"), Decimal("129.513312"))
    response = upload(client, "清空.xlsx", excel_file([positioned(GA1A, "", "")], HEADERS))
    client.post(CONFIRM, {"acknowledge": ["clearing"]})
    assert position_of(GA1A) == (None, None)
    entry = Building.objects.get(address=GA1A).history.latest()
    assert entry.latitude is None and entry.history_change_reason == "导入文件 清空.xlsx（clerk）"


def test_a_moved_position_is_previewed_old_to_new_and_written_with_history(client, city):
    place_ga1a()
    client.force_login(city.users["clerk"])
    moved = positioned(GA1A, 42.905, 129.513312)
    response = upload(client, "位置.xlsx", excel_file([moved], HEADERS))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    assert response.context["column_changes"] == [("纬度", 1)]
    assert "纬度: 42.904823 → 42.905000" in response.content.decode()
    client.post(CONFIRM)
    assert position_of(GA1A) == (Decimal("42.905000"), Decimal("129.513312"))
    assert Building.objects.get(address=GA1A).history.count() == 3  # created, placed, moved


def test_position_errors_name_the_row_and_column_and_nothing_is_written(client, city):
    client.force_login(city.users["clerk"])
    rows = [
        positioned("GA1a路11号", 129.513312, 42.904823),  # row 2: swapped
        positioned("GA1a路12号", "42.904823", ""),  # row 3: half a position
        positioned("GA1a路13号", "", "129.513312"),  # row 4: the other half
        positioned("GA1a路14号", "42°54'17\"", "129°30'48\""),  # row 5: degrees and minutes
        positioned("GA1a路15号", "42.9", "181"),  # row 6: beyond the date line
        positioned("GA1a路16号", "=B2", "129.5"),  # row 7: a formula
        positioned("GA1a路17号", "42.904823", "129.513312"),  # row 8: fine
    ]
    response = upload(client, "错误.xlsx", excel_file(rows, HEADERS))
    assert errors_of(response) == [
        (2, "纬度", "“129.513312”不是纬度：纬度在 −90 到 90 之间。是否把纬度和经度填反了？"),
        (3, "经度", "缺少经度：位置须同时有纬度和经度"),
        (4, "纬度", "缺少纬度：位置须同时有纬度和经度"),
        (5, "纬度", "“42°54'17\"”不是坐标，请写成十进制度数，如 42.904823（不识别度分秒格式）"),
        (5, "经度", "“129°30'48\"”不是坐标，请写成十进制度数，如 42.904823（不识别度分秒格式）"),
        (6, "经度", "“181”不是经度：经度在 −180 到 180 之间"),
        (7, "纬度", "不接受公式，请直接填写数值"),
    ]
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    assert not Building.objects.filter(
        address__startswith="GA1a路1", latitude__isnull=False
    ).exists()


def test_a_file_with_only_one_position_column_is_refused(client, city):
    place_ga1a()
    client.force_login(city.users["clerk"])
    headers = [*WITHOUT_POSITION, "纬度"]
    response = upload(client, "半列.xlsx", excel_file([positioned(GA1A, "", "")[:5]], headers))
    assert response.context["refused"] == (
        "文件有“纬度”列，但没有经度列：位置须同时有纬度和经度。请补上缺少的列；"
        "或删除这一列，已存的位置保持不变。"
    )
    assert position_of(GA1A) == (Decimal("42.904823"), Decimal("129.513312"))


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_export_with_positions_imports_back_unchanged(client, city, file_format):
    place_ga1a(latitude="-33.856784", longitude="-151.215297")  # signs survive neutralising
    client.force_login(city.users["street"])
    rows = export(client, "building", file_format)
    assert rows[0] == HEADERS
    exported = next(r for r in rows if r[1] == GA1A)
    assert exported[4:] == ["'-33.856784", "'-151.215297"]  # text; a minus sign is made safe
    data = xlsx(rows[1:], rows[0])
    response = upload(client, "导出.xlsx", data)
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 3}


def test_the_template_shows_a_position_and_refuses_one_out_of_range(client, city):
    client.force_login(city.users["clerk"])
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{IMPORT}template.xlsx").content))
    sheet = book.worksheets[0]
    assert (sheet["E2"].value, sheet["F2"].value) == (42.904823, 129.513312)
    ranges = {
        str(v.sqref): (v.type, v.formula1, v.formula2)
        for v in sheet.data_validations.dataValidation
    }
    assert ranges["E2:E2001"] == ("decimal", "-90", "90")
    assert ranges["F2:F2001"] == ("decimal", "-180", "180")
    instructions = " ".join(str(r[0].value) for r in book.worksheets[1].iter_rows())
    assert "文件没有纬度和经度列时，已存的位置保持不变" in instructions
