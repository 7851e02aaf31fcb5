"""The import on spreadsheets as offices really send them (tests/archives/import_corpus.py): each
file either imports exactly what the person meant, or is refused with a message naming the
sheet, row, column and value, and then writes nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archives.imports.reading import Limits, read_table
from archives.models import Building, Household, Resident
from tests import factories
from tests.archives.import_corpus import (
    HEADERS,
    as_excel_number,
    cells,
    csv_file,
    excel_file,
    resident_row,
    xls_file,
)

pytestmark = pytest.mark.django_db

IMPORT = "/admin/archives/resident/import/"
CONFIRM = "/admin/archives/resident/import/confirm/"
LIMITS = Limits(max_bytes=20 * 2**20, max_rows=100_000)
NUMBER_ID = (
    "“{}”是以数字格式保存的：Excel 只保留数字的前 15 位，这个身份证号的最后几位已经丢失。"
    "请把这一列设置为文本（右键 → 设置单元格格式 → 文本），或在号码前先输入英文单引号 '，"
    "然后对照身份证重新输入。"
)


def preview(client, name: str, data: bytes):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)})


def confirm(client, acknowledge: list[str] = ()) -> None:
    assert client.post(CONFIRM, {"acknowledge": list(acknowledge)}).status_code == 302


def errors_of(response) -> list[tuple[int, str, str]]:
    plan = response.context.get("plan")
    return [(e.row, e.column, e.message) for e in plan.errors] if plan else []


def archive_size() -> tuple[int, int, int]:
    return (Resident.objects.count(), Household.objects.count(), Building.objects.count())


def imported(client, name: str, data: bytes):
    """Preview without errors, then confirm, ticking each warning the preview asks about (as a
    clerk who has read them); the preview's response."""
    response = preview(client, name, data)
    assert response.context.get("refused") is None, response.context.get("refused")
    assert errors_of(response) == []
    confirm(client, [code for code, _words in response.context["acknowledgements"]])
    return response


def refused_cells(client, name: str, data: bytes) -> list[tuple[int, str, str]]:
    """The errors of a preview; confirming it then writes nothing."""
    before = archive_size()
    response = preview(client, name, data)
    errors = errors_of(response)
    assert errors
    confirm(client)  # nothing is waiting: a message, no write
    assert archive_size() == before
    return errors


def refused_file(client, name: str, data: bytes) -> str:
    before = archive_size()
    response = preview(client, name, data)
    confirm(client)
    assert archive_size() == before
    return response.context["refused"]


@pytest.fixture
def clerk(client, city):
    client.force_login(city.users["clerk"])
    return client


@pytest.fixture
def home(city):
    """The household of the clerk's grid's resident: new residents join it."""
    return city.residents["GA1a"].household


# Never invent or "fix" an ID number -------------------------------------------------------


def test_an_id_number_typed_into_a_general_column_is_refused_with_excels_15_digit_limit(
    clerk, home
):
    id_number = next(
        n
        for n in (factories.id_number_for(dt.date(1980, 1, 2), "M") for _ in range(9))
        if n[-1] != "X"
    )
    row = resident_row(home, id_number=as_excel_number(id_number))
    errors = refused_cells(clerk, "常规格式.xlsx", excel_file([cells(row)]))
    shown = str(round(int(id_number), -3))  # what is left of it: 15 significant digits
    assert errors == [(2, "居民身份证号", NUMBER_ID.format(shown))]


def test_an_id_number_saved_to_csv_in_scientific_notation_is_refused(clerk, home):
    row = resident_row(home, id_number="2.22405E+17")
    errors = refused_cells(clerk, "科学计数.csv", csv_file([cells(row)], encoding="gbk"))
    assert errors == [(2, "居民身份证号", NUMBER_ID.format("2.22405E+17"))]


def test_a_wrong_check_digit_asks_for_the_card_and_names_no_digit(clerk, home):
    good = factories.id_number_for(dt.date(1980, 1, 2), "F")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    errors = refused_cells(
        clerk, "校验.xlsx", excel_file([cells(resident_row(home, id_number=wrong))])
    )
    assert errors == [
        (
            2,
            "居民身份证号",
            f"“{wrong}”：这个号码与身份证对不上（校验码与其他数字不符）：请对照身份证逐位重新抄写。",
        )
    ]


# Normalise before matching and validating -------------------------------------------------


def test_full_width_and_invisible_characters_update_the_existing_resident(clerk, city, home):
    resident = city.residents["GA1a"]
    full_width = resident.id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    row = resident_row(
        home,
        id_number=full_width,
        name=f"\u200b{resident.name}\u3000",
        phone="１３９\u00a0１１１１\u00a02222",
        tags="独居老人",
        medical_history=resident.medical_history,
    )
    imported(clerk, "全角.xlsx", excel_file([cells(row)]))
    assert Resident.objects.filter(id_number=resident.id_number).count() == 1
    resident.refresh_from_db()
    assert (resident.name, resident.phone) == ("居民GA1a", "13911112222")


@pytest.mark.parametrize(
    ("phone_header", "id_header"),
    [("联系电话（手机）", "居民身份证号"), ("手机号", "公民身份号码"), ("电话", "身份证号码")],
)
def test_headers_as_offices_write_them_are_recognised(clerk, home, phone_header, id_header):
    headers = [id_header if h == "居民身份证号" else h for h in HEADERS]
    headers[headers.index("联系电话")] = phone_header
    row = resident_row(home, phone="13812345678")
    imported(clerk, "表头.xlsx", excel_file([cells(row)], headers))
    assert Resident.objects.get(id_number=row["id_number"]).phone == "13812345678"


# Read the sheet a person means ------------------------------------------------------------


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers(clerk, home):
    rows = [cells(resident_row(home, name="甲")), cells(resident_row(home, phone="12345"))]
    errors = refused_cells(clerk, "标题.xlsx", excel_file(rows, title_rows=2))
    assert errors == [
        (
            5,
            "联系电话",
            "“12345”不是电话号码：请填写 13–19 开头的 11 位手机号，或带区号的固定电话，"
            "如 0433-3221234。",
        )
    ]
    table = read_table("标题.xlsx", excel_file(rows, title_rows=2), LIMITS)
    assert (table.sheet, table.header_row, table.headers[:2]) == ("Sheet1", 3, HEADERS[:2])


def test_data_on_the_second_sheet_after_an_instructions_sheet_is_imported(clerk, home):
    row = resident_row(home, name="第二页")
    data = excel_file([cells(row)], instructions_first=True, sheet_title="居民信息", title_rows=1)
    table = read_table("两页.xlsx", data, LIMITS)
    assert (table.sheet, table.header_row) == ("居民信息", 2)
    response = imported(clerk, "两页.xlsx", data)
    assert "表头读自工作表“居民信息”第 2 行。" in response.content.decode()
    assert Resident.objects.get(id_number=row["id_number"]).name == "第二页"


def test_a_header_without_the_required_columns_names_the_sheet_and_row_read(clerk):
    data = excel_file([["金顺姬", "13900000000"]], ["姓名", "联系电话"], title_rows=1)
    assert refused_file(clerk, "缺列.xlsx", data) == (
        "表头读自工作表“Sheet1”第 2 行。"
        "表头缺少这些列：居民身份证号、网格编码、楼栋地址、单元、楼层、房间号。请从模板开始填写。"
    )


def test_a_hidden_old_phone_column_is_never_used_instead_of_the_visible_one(clerk, city, home):
    headers = ["联系电话", *HEADERS]  # column A: the old phones, hidden
    row = resident_row(home, phone="13811112222")
    data = excel_file([["13900009999", *cells(row)]], headers, hidden_columns=("A",))
    table = read_table("隐藏列.xlsx", data, LIMITS)
    assert table.hidden_columns == frozenset({0})
    response = imported(clerk, "隐藏列.xlsx", data)
    assert response.context["plan"].hidden_columns == ["联系电话"]
    assert response.context["plan"].ignored == ["联系电话"]
    assert Resident.objects.get(id_number=row["id_number"]).phone == "13811112222"


def test_two_visible_columns_of_the_same_field_are_refused_naming_both(clerk, home):
    headers = [*HEADERS, "手机号"]
    data = excel_file([[*cells(resident_row(home)), "13800000000"]], headers)
    assert refused_file(clerk, "重复列.xlsx", data) == (
        "“联系电话”（F 列）和“手机号”（P 列）都是“联系电话”："
        "请删除其中一列，或把不该导入的那一列隐藏。"
    )


def test_hidden_rows_are_reported_and_imported(clerk, home):
    rows = [cells(resident_row(home, name="显示")), cells(resident_row(home, name="隐藏"))]
    data = excel_file(rows, hidden_rows=(3,))
    assert read_table("隐藏行.xlsx", data, LIMITS).hidden_rows == (3,)
    imported(clerk, "隐藏行.xlsx", data)
    assert set(
        Resident.objects.filter(name__in=["显示", "隐藏"]).values_list("name", flat=True)
    ) == {
        "显示",
        "隐藏",
    }


def test_thousands_of_formatted_empty_rows_do_not_count_against_the_limit(clerk, home, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [cells(resident_row(home, name=f"居民{i}")) for i in range(3)]
    data = excel_file(rows, formatted_empty_rows=5000)
    assert len(read_table("空行.xlsx", data, Limits.from_settings()).rows) == 3
    imported(clerk, "空行.xlsx", data)
    assert Resident.objects.filter(name__in=["居民0", "居民1", "居民2"]).count() == 3
    four = excel_file([*rows, cells(resident_row(home))], formatted_empty_rows=5000)
    assert refused_file(clerk, "四行.xlsx", four) == "文件超过 3 行，请拆分成较小的文件。"


def test_a_sheet_over_the_limit_is_refused_through_its_formatted_empty_rows(clerk, home, settings):
    # Counted by row tags first, then again exactly because the tags exceed the limit: the
    # filled rows still do, by more than the title rows allowed above a header.
    settings.IMPORT_MAX_ROWS = 3
    rows = [cells(resident_row(home, name=f"居民{i}")) for i in range(30)]
    data = excel_file(rows, formatted_empty_rows=5000)
    assert refused_file(clerk, "三十行.xlsx", data) == "文件超过 3 行，请拆分成较小的文件。"
    assert not Resident.objects.filter(name="居民0").exists()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_every_encoding_excel_and_wps_save(clerk, home, encoding):
    name = "金顺姬" if encoding == "gbk" else "金䶮"  # 䶮 is in GB18030, not in GBK
    row = resident_row(home, name=name)
    imported(clerk, f"{encoding}.csv", csv_file([cells(row)], encoding=encoding, title_rows=1))
    assert Resident.objects.get(id_number=row["id_number"]).name == name


def test_an_xls_workbook_with_its_data_on_the_second_sheet_is_imported(clerk, home):
    row = resident_row(home, name="旧版", phone=13812345678.0)
    data = xls_file([cells(row)], title_rows=1, instructions_first=True, hidden_columns=(15,))
    table = read_table("旧版.xls", data, LIMITS)
    assert (table.sheet, table.header_row, table.hidden_columns) == ("居民", 2, frozenset({15}))
    imported(clerk, "旧版.xls", data)
    stored = Resident.objects.get(id_number=row["id_number"])
    assert (stored.name, stored.phone) == ("旧版", "13812345678")


def test_an_xls_with_a_formula_is_refused(clerk, home):
    data = xls_file([cells(resident_row(home))], formula_at=(1, len(HEADERS)))
    assert refused_file(clerk, "公式.xls", data) == "工作簿中含有公式；请直接填写数值。"


@pytest.mark.parametrize(
    "data",
    [b"<html><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></html>", excel_file([])],
    ids=["html-saved-as-xls", "xlsx-renamed"],
)
def test_an_xls_that_is_really_something_else_is_refused(clerk, data):
    assert (
        refused_file(clerk, "伪装.xls", data)
        == "文件名以 .xls 结尾，但这不是 Excel 97-2003 工作簿。"
    )


# Accept what is unambiguous ---------------------------------------------------------------


DATES = [
    "1980年1月2日",
    "1980.1.2",
    "1980/1/2",
    "1980-1-2",
    "1980-01-02 00:00:00",
    29222,  # Excel's serial number of 1980-01-02, in a number cell
    "29222",
    dt.datetime(1980, 1, 2),
    dt.date(1980, 1, 2),
    "１９８０年１月２日",
]


def test_dates_in_every_unambiguous_form_are_stored(clerk, home):
    rows = [resident_row(home, name=f"日期{i}", birth_date=d) for i, d in enumerate(DATES)]
    imported(clerk, "日期.xlsx", excel_file([cells(r) for r in rows]))
    stored = dict(
        Resident.objects.filter(name__startswith="日期").values_list("name", "birth_date")
    )
    assert stored == {f"日期{i}": dt.date(1980, 1, 2) for i in range(len(DATES))}


@pytest.mark.parametrize("written", ["1980-1-2 08:30", "80-1-2", "1980年1月", "1980"])
def test_an_ambiguous_date_is_refused_quoting_it(clerk, home, written):
    errors = refused_cells(
        clerk, "日期.csv", csv_file([cells(resident_row(home, birth_date=written))], encoding="gbk")
    )
    assert errors == [(2, "出生日期", f"“{written}”不是日期，请写成 1956-03-14 的形式")]


PHONES = [
    ("+86 138 1234 5678", "13812345678"),
    ("0086-13812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    (13812345678.0, "13812345678"),  # a number cell
    ("13812345678.0", "13812345678"),  # a number cell saved to CSV
    ("0433-1234567", "0433-1234567"),
    ("(0433)1234567", "0433-1234567"),
    ("（0433）1234567", "0433-1234567"),
    ("0433 1234567", "0433-1234567"),
    ("04331234567", "0433-1234567"),
    ("010-12345678", "010-12345678"),
]


def test_phones_in_every_unambiguous_form_are_stored_normalised(clerk, home):
    rows = [resident_row(home, name=f"电话{i}", phone=p) for i, (p, _s) in enumerate(PHONES)]
    imported(clerk, "电话.xlsx", excel_file([cells(r) for r in rows]))
    stored = dict(Resident.objects.filter(name__startswith="电话").values_list("name", "phone"))
    assert stored == {f"电话{i}": s for i, (_p, s) in enumerate(PHONES)}


@pytest.mark.parametrize("written", ["4331234567", "138123456789", "13812345678/13912345678"])
def test_a_phone_that_is_not_one_is_refused_quoting_it(clerk, home, written):
    errors = refused_cells(
        clerk, "电话.csv", csv_file([cells(resident_row(home, phone=written))], encoding="gbk")
    )
    assert errors == [
        (
            2,
            "联系电话",
            f"“{written}”不是电话号码：请填写 13–19 开头的 11 位手机号，或带区号的固定电话，"
            "如 0433-3221234。",
        )
    ]


# Templates and exports --------------------------------------------------------------------


def test_the_template_keeps_id_phone_and_codes_as_text_and_offers_lists(clerk):
    book = openpyxl.load_workbook(io.BytesIO(clerk.get(f"{IMPORT}template.xlsx").content))
    sheet, instructions, lists = book.worksheets
    letters = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(HEADERS)}
    for column in ("居民身份证号", "联系电话", "网格编码", "房间号", "楼栋地址"):
        letter = letters[column]
        assert sheet.column_dimensions[letter].number_format == "@"
        assert {sheet[f"{letter}{n}"].number_format for n in range(2, 2002)} == {"@"}
    assert lists.sheet_state == "hidden"
    offered = {}
    for validation in sheet.data_validations.dataValidation:
        column, rows = str(validation.sqref).split(":")[0][:1], str(validation.sqref)
        source = validation.formula1.split("!")[1].replace("$", "")
        first, last = source.split(":")
        values = [c.value for c in lists[first:last] for c in c]
        offered[next(h for h, x in letters.items() if x == column)] = (
            values,
            rows.endswith("2001"),
            validation.showErrorMessage,
        )
    assert offered["网格编码"] == (["GA1a"], True, True)  # the clerk's own grid only
    assert offered["与户主关系"][0][:2] == ["户主", "配偶"]
    assert offered["民族"][0][:2] == ["汉族", "朝鲜族"]
    assert offered["户籍状态"][0] == ["户籍", "流动", "迁出", "死亡"]
    # Several tags go in one cell: the list helps with one and refuses nothing typed.
    assert offered["标签"] == (["慢性病", "独居老人"], True, False)
    assert any("、" in (line[0] or "") and "下拉" in line[0] for line in instructions.values)


def test_a_csv_export_starts_with_a_bom_and_imports_back_unchanged(clerk):
    url = "/admin/archives/resident/export/"
    form = clerk.get(url).context["form"]
    choice = next(i for i, label in form.fields["format"].choices if label == "csv")
    data = {"format": choice, "resource": 0}
    skip = ("format", "resource", "export_items")
    data.update({name: "on" for name in form.fields if name not in skip})
    exported = clerk.post(url, data).content
    assert exported.startswith("\ufeff居民身份证号,".encode())
    response = preview(clerk, "导出.csv", exported)
    assert errors_of(response) == []
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 1}


def test_a_csv_without_a_recognisable_header_says_which_row_was_read(clerk):
    data = csv_file([["x"]], ["备注"], encoding="gbk", title_rows=1)
    assert refused_file(clerk, "无表头.csv", data) == (
        "表头读自第 1 行。"
        "表头缺少这些列：居民身份证号、姓名、网格编码、楼栋地址、单元、楼层、房间号。请从模板开始填写。"
    )


def test_a_hidden_sheet_is_passed_over_for_the_visible_one(home):
    book = openpyxl.Workbook()
    old = book.active
    old.title = "旧数据"
    old.append(HEADERS)
    old.append(cells(resident_row(home, name="旧")))
    old.sheet_state = "hidden"
    current = book.create_sheet("新数据")
    current.append(HEADERS)
    current.append(cells(resident_row(home, name="新")))
    output = io.BytesIO()
    book.save(output)
    table = read_table("两表.xlsx", output.getvalue(), LIMITS)
    assert (table.sheet, [r[1][1] for r in table.rows]) == ("新数据", ["新"])
