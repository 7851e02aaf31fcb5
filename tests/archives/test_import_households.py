"""Importing households on their own (vacant and rented homes, dwellings not yet lived in), as
a clerk meets it: template, preview, errors with row and column, scope, history."""

import io

import openpyxl
import pytest

from archives.imports.households import column_names
from archives.models import Building, Household
from tests.archives.test_export import export
from tests.archives.test_import import errors_of, xlsx
from tests.archives.test_import import upload as post_file

pytestmark = pytest.mark.django_db

IMPORT = "/admin/archives/household/import/"
CONFIRM = "/admin/archives/household/import/confirm/"
HEADERS = [names[0] for names in column_names().values()]


def row(**values) -> list:
    defaults = {"grid": "GA1a", "building": "GA1a路1号", "unit": 1, "floor": 5, "room": "5-A"}
    defaults.update(values)
    return [defaults.get(key, "") for key in column_names()]


def upload(client, name: str, data: bytes):
    return post_file(client, name, data, url=IMPORT)


def test_a_vacant_home_is_imported_into_an_existing_building_with_history(client, city):
    client.force_login(city.users["clerk"])
    response = upload(client, "空房.xlsx", xlsx([row(status="空置")], HEADERS))
    assert errors_of(response) == []
    assert response.context["counts"] == {"new": 1, "update": 0, "unchanged": 0}
    assert not Household.objects.filter(room="5-A").exists()  # a preview writes nothing
    assert client.post(CONFIRM, {"acknowledge": ["creation"]}).status_code == 302
    household = Household.objects.get(room="5-A")
    assert (household.building.address, household.status) == ("GA1a路1号", "vacant")
    entry = household.history.get()
    assert entry.history_change_reason == "导入文件 空房.xlsx（clerk）"
    assert entry.history_user == city.users["clerk"]


def test_a_new_building_is_created_sized_to_its_households(client, city):
    client.force_login(city.users["clerk"])
    rows = [row(building="GA1a路7号", unit=2, floor=11, room="1101", status="出租")]
    upload(client, "新楼.xlsx", xlsx(rows, HEADERS))
    client.post(CONFIRM, {"acknowledge": ["creation"]})
    building = Building.objects.get(address="GA1a路7号")
    assert (building.units, building.floors) == (2, 11)
    assert building.households.get().status == "rented"
    assert building.history.get().history_change_reason == "导入文件 新楼.xlsx（clerk）"


def test_an_existing_household_gets_the_status_of_its_row(client, city):
    household = city.residents["GA1a"].household
    client.force_login(city.users["clerk"])
    rows = export(client, "household", "xlsx")
    rows[1][rows[0].index("房屋状态")] = "空置"
    response = upload(client, "状态.xlsx", xlsx(rows[1:], rows[0]))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    client.post(CONFIRM)
    household.refresh_from_db()
    assert household.status == "vacant"
    assert household.history.latest().history_change_reason == "导入文件 状态.xlsx（clerk）"


def test_an_exported_household_list_imports_back_without_changes(client, city):
    client.force_login(city.users["street"])
    rows = export(client, "household", "xlsx")
    history_before = Household.history.count()
    response = upload(client, "导出.xlsx", xlsx(rows[1:], rows[0]))
    assert errors_of(response) == []
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 3}
    client.post(CONFIRM)
    assert Household.history.count() == history_before


def test_every_error_is_listed_with_its_row_and_column_and_nothing_is_written(client, city):
    client.force_login(city.users["clerk"])
    rows = [
        row(room="601", floor=6),  # row 2: fine
        row(grid="GX9"),  # row 3
        row(grid="GB1a", building="GB1a路1号"),  # row 4: another street's grid
        row(room="601", floor=6),  # row 5: the same household as row 2
        row(status="拆迁"),  # row 6
        row(floor=7, room="701"),  # row 7: the building has 6 floors
        row(unit="一", room=""),  # row 8
    ]
    households_before = Household.objects.count()
    response = upload(client, "错误.xlsx", xlsx(rows, HEADERS))
    assert errors_of(response) == [
        (3, "网格编码", "没有编码为“GX9”的网格"),
        (4, "网格编码", "网格“GB1a”不在您的管辖范围内"),
        (5, "房间号", "同一户也在第 2 行"),
        (6, "房屋状态", "“拆迁”不是以下之一：自住、空置、出租"),
        (7, "楼层", "该楼栋只有 6 层"),
        (8, "单元", "“一”不是大于等于 1 的整数"),
        (8, "房间号", "缺少房号"),
    ]
    assert client.post(CONFIRM).status_code == 302  # nothing is waiting
    assert Household.objects.count() == households_before


def test_roles_that_cannot_change_households_cannot_import(client, city):
    client.force_login(city.users["official"])
    assert client.get(IMPORT).status_code == 403
    assert client.get(f"{IMPORT}template.xlsx").status_code == 403


def test_the_household_template_imports_once_its_grid_is_the_clerks(client, city):
    client.force_login(city.users["clerk"])
    response = client.get(f"{IMPORT}template.xlsx?lang=en")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == [names[1] for names in column_names().values()]
    assert len(book.worksheets) == 3 and book.worksheets[1].max_row >= 5
    rows[1][rows[0].index("grid code")] = "GA1a"
    rows[1][rows[0].index("building address")] = "GA1a路1号"
    rows[1][rows[0].index("room")] = "3-A"
    response = upload(client, "template.xlsx", xlsx(rows[1:], rows[0]))
    assert errors_of(response) == [] and response.context["counts"]["new"] == 1
