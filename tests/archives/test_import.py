"""Importing residents from spreadsheets, as a clerk meets it: template, preview with every
error, confirm, all or nothing, scope, history, and files that try to do harm."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archives.imports.reading import FileRefused, Limits, read_table
from archives.imports.residents import column_names
from archives.models import Building, Household, Resident
from tests import factories
from tests.archives.test_export import export

pytestmark = pytest.mark.django_db

IMPORT = "/admin/archives/resident/import/"
CONFIRM = "/admin/archives/resident/import/confirm/"
#: The tick that lets an import create the buildings and households its preview lists.
CREATION_TICKED = {"acknowledge": ["creation"]}
HEADERS = [names[0] for names in column_names().values()]


def xlsx(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def as_csv(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(headers)
    writer.writerows(rows)
    return output.getvalue().encode("utf-8-sig")


def row(**values) -> list:
    defaults = {
        "id_number": factories.id_number_for(factories.dt.date(1980, 5, 6), "F"),
        "name": "新居民",
        "grid": "GA1a",
        "building": "GA1a路1号",
        "unit": 1,
        "floor": 2,
        "room": "201",
        "phone": "13900000000",
    }
    defaults.update(values)
    return [defaults.get(key, "") for key in column_names()]


def upload(client, name: str, data: bytes, *, url: str = IMPORT):
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def errors_of(response) -> list[tuple[int, str, str]]:
    plan = response.context.get("plan")
    return [(e.row, e.column, e.message) for e in plan.errors] if plan else []


def test_a_new_resident_is_imported_with_its_household_and_history(client, city):
    client.force_login(city.users["clerk"])
    response = upload(
        client, "新户.xlsx", xlsx([row(building="GA1a路9号", room="901", floor=9, tags="独居老人")])
    )
    assert response.context["counts"] == {"new": 1, "update": 0, "unchanged": 0}
    assert Resident.objects.filter(name="新居民").count() == 0  # a preview writes nothing
    assert client.post(CONFIRM, CREATION_TICKED).status_code == 302
    resident = Resident.objects.get(name="新居民")
    assert resident.household.building.address == "GA1a路9号"
    assert resident.household.building.floors == 9
    assert list(resident.tags.values_list("name", flat=True)) == ["独居老人"]
    entry = resident.history.get()
    assert entry.history_change_reason == "导入文件 新户.xlsx（clerk）"
    assert entry.history_user == city.users["clerk"]


def test_an_existing_resident_is_matched_by_id_number_and_updated(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    rows = export(client, "resident", "xlsx")
    rows[1][rows[0].index("联系电话")] = "13911112222"
    response = upload(client, "更新.xlsx", xlsx(rows[1:], rows[0]))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    client.post(CONFIRM)
    resident.refresh_from_db()
    assert resident.phone == "13911112222"
    assert resident.history.latest().history_change_reason.startswith("导入文件 更新.xlsx")


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_exported_file_imports_back_without_changes(client, city, file_format):
    client.force_login(city.users["street"])
    rows = export(client, "resident", file_format)
    data = xlsx(rows[1:], rows[0]) if file_format == "xlsx" else as_csv(rows[1:], rows[0])
    history_before = Resident.history.count()
    response = upload(client, f"导出.{file_format}", data)
    assert errors_of(response) == []
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 3}
    client.post(CONFIRM)
    assert Resident.history.count() == history_before


def test_every_error_is_listed_with_its_row_and_column_and_nothing_is_written(client, city):
    good_id = factories.id_number_for(factories.dt.date(1980, 5, 6), "F")
    bad_check = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    rows = [
        row(id_number=bad_check),  # row 2
        row(birth_date="1981-01-01"),  # row 3: does not match the ID number
        row(grid="G404"),  # row 4
        row(grid="GB1a", building="GB1a路1号"),  # row 5: outside the clerk's grids
        row(id_number=good_id, name="甲"),  # row 6
        row(id_number=good_id, name="乙"),  # row 7: the same ID number again
        row(phone="12345"),  # row 8
        row(tags="不存在的标签"),  # row 9
        row(id_number=city.residents["GA2a"].id_number),  # row 10: a resident elsewhere
        row(birth_date="明年"),  # row 11: text in a date column
        row(name="=HYPERLINK(1)"),  # row 12: a formula
    ]
    client.force_login(city.users["clerk"])
    before = (Resident.objects.count(), Household.objects.count(), Building.objects.count())
    response = upload(client, "错误.xlsx", xlsx(rows))
    found = errors_of(response)
    assert [(r, c) for r, c, _m in found] == [
        (2, "居民身份证号"),
        (3, "出生日期"),
        (4, "网格编码"),
        (5, "网格编码"),
        (7, "居民身份证号"),
        (8, "联系电话"),
        (9, "标签"),
        (10, "居民身份证号"),
        (11, "出生日期"),
        (12, "姓名"),
    ]
    messages = [m for _r, _c, m in found]
    assert "校验码" in messages[0]
    assert "与身份证号不符" in messages[1]
    assert "G404" in messages[2] and "不在您的管辖范围" in messages[3]
    assert "第 6 行" in messages[4]
    assert "不存在的标签" in messages[6]
    assert "公式" in messages[9]
    assert client.post(CONFIRM).status_code == 302  # nothing is waiting: a message, no write
    after = (Resident.objects.count(), Household.objects.count(), Building.objects.count())
    assert after == before


def test_one_bad_row_keeps_every_good_row_out(client, city):
    client.force_login(city.users["clerk"])
    response = upload(client, "混合.csv", as_csv([row(name="好人"), row(phone="1")]))
    assert len(errors_of(response)) == 1
    client.post(CONFIRM)
    assert not Resident.objects.filter(name="好人").exists()


def test_roles_that_cannot_change_residents_cannot_import(client, city):
    client.force_login(city.users["official"])
    assert client.get(IMPORT).status_code == 403
    assert client.post(CONFIRM).status_code == 403


def test_the_template_has_headers_an_example_and_instructions(client, city):
    client.force_login(city.users["clerk"])
    for query, expected in (("", HEADERS), ("?lang=en", [n[1] for n in column_names().values()])):
        response = client.get(f"{IMPORT}template.xlsx{query}")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        assert [c.value for c in sheet[1]] == expected
        assert sheet["B2"].value == "金顺姬"
        assert len(book.worksheets) == 3 and book.worksheets[1].max_row >= 5
    # The example row imports once its grid code names one of the clerk's grids.
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows[1][rows[0].index("grid code")] = "GA1a"
    response = upload(client, "template.xlsx", xlsx(rows[1:], rows[0]))
    assert errors_of(response) == [] and response.context["counts"]["new"] == 1


# Hostile and broken files ------------------------------------------------------------------


LIMITS = Limits(max_bytes=20 * 2**20, max_rows=100_000)


def refusal(name: str, data: bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(FileRefused) as refused:
        read_table(name, data, limits)
    return str(refused.value)


def test_a_file_that_is_not_a_workbook_is_refused():
    assert "不是 Excel 工作簿" in refusal("residents.xlsx", b"%PDF-1.7 not a workbook")


def test_a_corrupt_workbook_is_refused():
    assert "已损坏" in refusal("residents.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50)


def test_a_zip_bomb_is_refused_before_it_expands():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    assert "zip bomb" in refusal("bomb.xlsx", output.getvalue())


def test_a_50_mb_file_is_refused_by_size():
    assert "20.0 MB" in refusal("big.csv", b"x" * 50 * 2**20)


def test_200_000_rows_are_refused():
    lines = "\n".join(",".join(["x"] * 3) for _ in range(200_001))
    assert "100,000" in refusal("long.csv", lines.encode())


def test_an_empty_file_and_a_header_only_file_are_refused():
    assert "空" in refusal("empty.xlsx", b"")
    assert "没有居民" in refusal("header.xlsx", xlsx([]))
    assert "没有居民" in refusal("header.csv", as_csv([]))


def test_a_file_without_the_required_columns_is_refused(client, city):
    client.force_login(city.users["clerk"])
    response = upload(client, "wrong.csv", as_csv([["a", "b"]], headers=["foo", "bar"]))
    assert "缺少" in response.context["refused"]


def test_an_oversized_upload_is_refused_in_the_admin_and_changes_nothing(client, city, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(city.users["clerk"])
    before = Resident.objects.count()
    response = upload(client, "big.csv", as_csv([row()] * 50))
    assert "MB" in response.context["refused"]
    assert Resident.objects.count() == before


def test_the_list_offers_import_to_those_who_may_import(client, city):
    client.force_login(city.users["clerk"])
    assert (
        'href="/admin/archives/resident/import/"'
        in client.get("/admin/archives/resident/").content.decode()
    )
    client.force_login(city.users["official"])
    listing = client.get("/admin/archives/resident/").content.decode()
    assert 'href="/admin/archives/resident/import/"' not in listing
    assert "export/" in listing  # exporting their (masked) list is still offered


def test_an_unconfirmed_upload_is_removed_when_the_next_one_arrives(client, city, settings):
    client.force_login(city.users["clerk"])
    upload(client, "一.csv", as_csv([row()]))
    upload(client, "二.csv", as_csv([row()]))
    waiting = list((Path(settings.MEDIA_ROOT) / "imports").iterdir())
    assert len(waiting) == 1
    client.post(CONFIRM, CREATION_TICKED)
    assert list((Path(settings.MEDIA_ROOT) / "imports").iterdir()) == []
