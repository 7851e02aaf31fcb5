"""Importing buildings: a community's list of buildings before any household is recorded."""

import io

import openpyxl
import pytest

from archives.imports.buildings import column_names
from archives.models import Building
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
