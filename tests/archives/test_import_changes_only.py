"""A file changes only what it says: an export re-imported with columns removed and a few cells
fixed changes exactly those cells; what it would revive, clear or create is shown and needs a
tick; buildings and rooms however spelled are the stored ones; vacant homes become occupied."""

import dataclasses
import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from archives import scope
from archives.imports.matching import building_key, near_matches, room_key
from archives.imports.reading import Limits, read_table
from archives.imports.residents import column_names, resident_import_apply, resident_import_plan
from archives.imports.rows import CLEARING, CREATION, IGNORED_HEADERS, REVIVAL
from archives.models import Building, Household, Resident
from portal.roles import GRID_MEMBER
from tests import factories
from tests.archives.test_export import export
from tests.archives.test_import import CONFIRM, upload

pytestmark = pytest.mark.django_db

HEADER = {key: spellings[0] for key, spellings in column_names().items()}  # Chinese headers
OPTIONAL = [
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "relation_to_head",
    "residency_status",
    "tags",
    "medical_history",
]
FIELDS = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "relation_to_head",
    "residency_status",
    "medical_history",
]


class Office:
    """One grid as a community office keeps it: a building of twelve homes (one vacant) and
    24 residents with every kind of value the defaults would overwrite."""

    def __init__(self) -> None:
        self.grid = factories.make_grid(code="G618", street_code="S618")
        self.clerk = factories.make_user("clerk618", role=GRID_MEMBER)
        factories.grant(self.clerk, self.grid)
        chronic = factories.make_tag("chronic-illness", "慢性病")
        alone = factories.make_tag("elderly-alone", "独居老人")
        self.building = Building.objects.create(
            grid=self.grid, address="龙门路4号", units=2, floors=6
        )
        self.homes = [
            Household.objects.create(
                building=self.building, unit=unit, floor=floor, room=f"{floor}0{unit}"
            )
            for floor in range(1, 7)
            for unit in (1, 2)
        ]
        self.vacant = Household.objects.create(
            building=self.building, unit=1, floor=6, room="603", status=Household.Status.VACANT
        )
        statuses = ["registered", "deceased", "moved_out", "floating"]
        for i in range(24):
            sex = "F" if i % 2 else "M"
            resident = factories.make_resident(
                household=self.homes[i // 2],
                name=f"居民{i}",
                birth_date=dt.date(1940 + i, 1 + i % 12, 1 + i % 28),
                sex=sex,
                phone=f"1390000{i:04d}" if i % 5 else "",
                ethnicity="korean" if i % 3 == 0 else "han",
                relation_to_head="head" if i % 2 == 0 else "spouse",
                residency_status=statuses[i % 4],
                medical_history=f"高血压{i}" if i % 2 == 0 else "",
            )
            resident.tags.set([chronic] if i % 4 == 0 else [alone] if i % 4 == 1 else [])


@pytest.fixture
def office(db) -> Office:
    return Office()


def snapshot(grid) -> dict[str, dict]:
    """Every resident of ``grid`` as the archive holds it, by ID number."""
    files = {}
    residents = Resident.objects.filter(household__building__grid=grid).prefetch_related("tags")
    for resident in residents:
        files[resident.id_number] = {
            **{name: getattr(resident, name) for name in FIELDS},
            "tags": frozenset(tag.name for tag in resident.tags.all()),
            "household": resident.household_id,
        }
    return files


def workbook(rows: list[list], *, drop: set[str] = frozenset(), extra: dict | None = None):
    """The exported rows as an .xlsx, with the columns of ``drop`` deleted as a clerk deletes
    them in Excel and the columns of ``extra`` ({header: value}) added."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for key in sorted(drop, key=lambda k: -rows[0].index(HEADER[k])):
        sheet.delete_cols(rows[0].index(HEADER[key]) + 1)
    for header, value in (extra or {}).items():
        column = sheet.max_column + 1
        sheet.cell(row=1, column=column, value=header)
        for number in range(2, sheet.max_row + 1):
            sheet.cell(row=number, column=column, value=value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def edit(rows: list[list], id_number: str, key: str, value) -> None:
    headers = rows[0]
    row = next(r for r in rows[1:] if r[0] == id_number)
    row[headers.index(HEADER[key])] = value


def resident_with(office: Office, **fields) -> Resident:
    return Resident.objects.filter(household__building__grid=office.grid, **fields).first()


def test_a_clerk_who_deletes_columns_and_fixes_three_phones_changes_exactly_three_phones(
    client, office
):
    client.force_login(office.clerk)
    rows = export(client, "resident", "xlsx")
    before = snapshot(office.grid)
    fixed = {rows[n][0]: f"13611110{n:03d}" for n in (2, 7, 15)}
    for id_number, phone in fixed.items():
        edit(rows, id_number, "phone", phone)
    dropped = {"sex", "birth_date", "ethnicity", "relation_to_head", "residency_status"}
    data = workbook(rows, drop=dropped | {"tags", "medical_history"})

    response = upload(client, "618.xlsx", data)
    plan = response.context["plan"]
    assert plan.errors == []
    assert response.context["counts"] == {"new": 0, "update": 3, "unchanged": 21}
    assert response.context["acknowledgements"] == []
    assert response.context["column_changes"] == [("联系电话", 3)]
    changes = {row.label: changes for row, _words, changes in response.context["changed_rows"]}
    assert changes == {
        id_number: [("联系电话", before[id_number]["phone"], phone)]
        for id_number, phone in fixed.items()
    }
    assert plan.ignored == []
    assert HEADER["phone"] in plan.recognised and HEADER["tags"] not in plan.recognised
    assert client.post(CONFIRM).status_code == 302

    expected = {
        id_number: {**file, "phone": fixed.get(id_number, file["phone"])}
        for id_number, file in before.items()
    }
    assert snapshot(office.grid) == expected


def test_the_preview_says_which_sheet_and_header_row_it_read_and_warns_of_hidden_rows(office):
    rows = [list(HEADER.values()), new_row(office)]
    table = read_table("t.xlsx", workbook(rows), Limits.from_settings())
    table = dataclasses.replace(
        table, sheet="居民", header_row=3, hidden_rows=(4,), hidden_columns=frozenset({1})
    )
    plan = resident_import_plan(table, user=office.clerk)
    with translation.override("zh-hans"):
        assert table.where() == "工作表“居民”第 3 行"
    assert plan.hidden_rows == (4,)
    assert plan.hidden_columns == [table.headers[1]]
    assert plan.acknowledgements() == []  # a warning, not a question


def test_reviving_a_deceased_resident_is_imported_only_after_its_tick(client, office):
    client.force_login(office.clerk)
    deceased = resident_with(office, residency_status="deceased")
    rows = export(client, "resident", "xlsx")
    edit(rows, deceased.id_number, "residency_status", "户籍")

    response = upload(client, "revive.xlsx", workbook(rows))
    assert [code for code, _words in response.context["acknowledgements"]] == [REVIVAL]
    (row, _words, changes) = response.context["changed_rows"][0]
    assert row.warnings == {REVIVAL} and changes == [("户籍状态", "死亡", "户籍")]

    refused = client.post(CONFIRM)
    assert refused.status_code == 200
    assert "没有导入任何数据" in refused.content.decode()
    deceased.refresh_from_db()
    assert deceased.residency_status == "deceased"

    assert client.post(CONFIRM, {"acknowledge": [REVIVAL]}).status_code == 302
    deceased.refresh_from_db()
    assert deceased.residency_status == "registered"


def test_clearing_a_stored_phone_is_imported_only_after_its_tick(client, office):
    client.force_login(office.clerk)
    resident = resident_with(office, residency_status="registered", phone__gt="")
    rows = export(client, "resident", "xlsx")
    edit(rows, resident.id_number, "phone", None)

    response = upload(client, "clear.xlsx", workbook(rows))
    assert [code for code, _words in response.context["acknowledgements"]] == [CLEARING]
    assert client.post(CONFIRM, {"acknowledge": [REVIVAL]}).status_code == 200
    resident.refresh_from_db()
    assert resident.phone != ""

    assert client.post(CONFIRM, {"acknowledge": [CLEARING]}).status_code == 302
    resident.refresh_from_db()
    assert resident.phone == ""


def test_ignored_headers_are_named_and_need_a_tick(client, office):
    client.force_login(office.clerk)
    rows = export(client, "resident", "xlsx")
    # 联系电话（手机） would be a second phone column (refused as a duplicate): not "ignored".
    data = workbook(rows, extra={"备注": "已核实", "微信号": "wx-13800000000"})

    response = upload(client, "extra.xlsx", data)
    plan = response.context["plan"]
    assert plan.ignored == ["备注", "微信号"]
    assert [code for code, _words in response.context["acknowledgements"]] == [IGNORED_HEADERS]
    assert "备注" in response.content.decode()
    assert client.post(CONFIRM).status_code == 200
    assert client.post(CONFIRM, {"acknowledge": [IGNORED_HEADERS]}).status_code == 302


def new_row(office: Office, **values) -> list:
    defaults = {
        "id_number": factories.id_number_for(dt.date(1990, 5, 6), "F"),
        "name": "新居民",
        "grid": "G618",
        "building": "龙门路4号",
        "unit": 1,
        "floor": 1,
        "room": "101",
    }
    defaults.update(values)
    return [defaults.get(key, "") for key in column_names()]


def new_rows_file(*rows: list) -> bytes:
    return workbook([list(HEADER.values()), *rows])


@pytest.mark.parametrize(
    ("grid", "building", "room", "home"),
    [
        ("g618", "龙门路４号", "101室", 0),
        ("Ｇ６１８", "龙门路 4号楼", "0202", 3),
        (" G618 ", "龙门路4号", "302", 5),
        ("G618", "龙门路4栋", "２０１", 2),
    ],
)
def test_spellings_of_a_stored_grid_building_and_room_name_them(
    client, office, grid, building, room, home
):
    client.force_login(office.clerk)
    row = new_row(office, grid=grid, building=building, room=room, unit=office.homes[home].unit)
    row[list(column_names()).index("floor")] = office.homes[home].floor
    response = upload(client, "spelling.xlsx", new_rows_file(row))
    plan = response.context["plan"]
    assert plan.errors == []
    assert plan.new_buildings == [] and plan.new_households_count == 0
    assert response.context["acknowledgements"] == []
    assert client.post(CONFIRM).status_code == 302

    assert Building.objects.filter(grid=office.grid).count() == 1
    resident = Resident.objects.get(id_number=row[0])
    assert resident.household == office.homes[home]
    assert resident.household.building.address == "龙门路4号"  # the stored spelling stays


def test_a_building_and_household_the_import_would_create_are_listed_and_need_a_tick(
    client, office
):
    client.force_login(office.clerk)
    response = upload(client, "new.xlsx", new_rows_file(new_row(office, building="龙门路5号")))
    plan = response.context["plan"]
    assert [(c.words, c.near) for c in plan.new_buildings] == [("G618 龙门路5号", ["龙门路4号"])]
    assert [c.words for c in plan.new_households] == ["G618 龙门路5号 1-1-101"]
    page = response.content.decode()
    assert "将新建楼栋" in page and "将新建住户" in page and "龙门路4号" in page

    refused = client.post(CONFIRM)
    assert refused.status_code == 200 and "没有导入任何数据" in refused.content.decode()
    assert not Building.objects.filter(address="龙门路5号").exists()

    assert client.post(CONFIRM, {"acknowledge": [CREATION]}).status_code == 302
    assert Building.objects.filter(address="龙门路5号", grid=office.grid).exists()


def test_two_spellings_of_one_new_building_in_a_file_make_one_building(client, office):
    client.force_login(office.clerk)
    data = new_rows_file(
        new_row(office, building="龙门路9号"),
        new_row(office, building="龙门路 9号楼", room="101室"),
    )
    plan = upload(client, "two.xlsx", data).context["plan"]
    assert [c.words for c in plan.new_buildings] == ["G618 龙门路9号"]
    assert plan.new_households_count == 1
    assert client.post(CONFIRM, {"acknowledge": [CREATION]}).status_code == 302
    assert Household.objects.filter(building__address="龙门路9号").count() == 1


def test_a_resident_imported_into_a_vacant_household_makes_it_occupied(client, office):
    client.force_login(office.clerk)
    row = new_row(office, floor=6, room="603")
    response = upload(client, "vacant.xlsx", new_rows_file(row))
    assert response.context["plan"].occupied == [(office.vacant.pk, "龙门路4号 1-6-603")]
    assert "龙门路4号 1-6-603" in response.content.decode()
    assert client.post(CONFIRM).status_code == 302

    office.vacant.refresh_from_db()
    assert office.vacant.status == Household.Status.OCCUPIED
    entry = office.vacant.history.latest()
    assert entry.history_change_reason == "导入文件 vacant.xlsx（clerk618）"
    assert entry.prev_record.status == Household.Status.VACANT


def test_an_id_number_written_in_full_width_digits_updates_the_stored_resident(client, office):
    client.force_login(office.clerk)
    resident = resident_with(office, residency_status="registered")
    rows = export(client, "resident", "xlsx")
    edit(rows, resident.id_number, "phone", "13655556666")
    full_width = resident.id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    next(r for r in rows[1:] if r[0] == resident.id_number)[0] = full_width

    response = upload(client, "wide.xlsx", workbook(rows))
    assert response.context["counts"]["new"] == 0
    assert response.context["counts"]["update"] == 1
    assert client.post(CONFIRM).status_code == 302
    assert Resident.objects.filter(id_number=resident.id_number).count() == 1
    resident.refresh_from_db()
    assert resident.phone == "13655556666"


def test_the_preview_masks_id_numbers_for_a_user_who_may_not_read_them(client, office):
    writer = factories.make_user("writer618")
    group = Group.objects.create(name="writes without ID numbers")
    codenames = [f"{a}_{m}" for a in ("add", "change", "view") for m in ("resident", "household")]
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    writer.groups.add(group)
    factories.grant(writer, office.grid)
    row = new_row(office)

    client.force_login(writer)
    preview = upload(client, "masked.xlsx", new_rows_file(row))
    assert [r.label for r, _words in preview.context["preview_rows"]] == [
        scope.mask_id_number(row[0])
    ]
    assert row[0] not in preview.content.decode()

    client.force_login(office.clerk)
    shown = upload(client, "shown.xlsx", new_rows_file(row))
    assert [r.label for r, _words in shown.context["preview_rows"]] == [row[0]]


def test_a_change_to_a_value_the_user_may_not_read_is_shown_masked(client, office):
    writer = factories.make_user("writer618")
    group = Group.objects.create(name="writes without sensitive fields")
    codenames = [f"{a}_{m}" for a in ("add", "change", "view") for m in ("resident", "household")]
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    writer.groups.add(group)
    factories.grant(writer, office.grid)
    resident = resident_with(office, residency_status="registered", medical_history__gt="")
    home = resident.household
    row = new_row(
        office,
        id_number=resident.id_number,
        name=resident.name,
        unit=home.unit,
        floor=home.floor,
        room=home.room,
        medical_history="糖尿病",
    )

    client.force_login(writer)
    response = upload(client, "masked.xlsx", new_rows_file(row))
    [(shown, _words, changes)] = response.context["changed_rows"]
    assert shown.label == scope.mask_id_number(resident.id_number)
    assert ("病史", "（已隐藏）", "（已隐藏）") in changes
    page = response.content.decode()
    assert resident.medical_history not in page and "糖尿病" not in page


def test_match_keys_ignore_spaces_width_suffixes_and_leading_zeros():
    spellings = ("龙门路１号", "龙门路 1号", "龙门路1号楼", "龙门路01号")
    assert {building_key(a) for a in spellings} == {"龙门路1"}
    assert {room_key(r) for r in ("302", "302室", "0302", "３０２")} == {"302"}
    assert building_key("龙门路1号") != building_key("龙门路11号")
    stored = {"龙门路4": "龙门路4号", "松江路5": "松江路5号"}
    assert near_matches(building_key("龙门路5号"), stored)[0] == "龙门路4号"


# The property: any edits, any columns dropped -- exactly the edited cells change. ------------

LABELS = {
    "ethnicity": ["汉族", "朝鲜族", "满族"],
    "relation_to_head": ["户主", "配偶", "子女"],
    "residency_status": ["户籍", "流动", "迁出", "死亡"],
}
EDITS = {
    "name": st.sampled_from(["张三", "李四"]),
    "phone": st.sampled_from(["", "13812345678", "13900001111"]),
    "tags": st.sampled_from(["", "慢性病", "独居老人", "慢性病、独居老人"]),
    "medical_history": st.sampled_from(["", "糖尿病", "高血压0"]),
    **{key: st.sampled_from(labels) for key, labels in LABELS.items()},
}


def stored_value(key: str, text: str):
    if key in LABELS:
        field = Resident._meta.get_field(key)
        return next(value for value, label in field.choices if str(label) == text)
    if key == "tags":
        return frozenset(filter(None, text.split("、")))
    return text


def test_any_edits_with_any_columns_dropped_change_exactly_the_edited_cells(client, office):
    client.force_login(office.clerk)
    exported = export(client, "resident", "xlsx")
    before = snapshot(office.grid)
    ids = [row[0] for row in exported[1:]]

    @settings(max_examples=25, deadline=None)
    @given(data=st.data())
    def check(data):
        dropped = data.draw(st.sets(st.sampled_from(OPTIONAL)), label="dropped")
        cells = data.draw(
            st.lists(
                st.tuples(st.sampled_from(ids), st.sampled_from(sorted(EDITS))),
                unique=True,
                max_size=12,
            ),
            label="cells",
        )
        rows = [list(row) for row in exported]
        expected = {id_number: dict(file) for id_number, file in before.items()}
        for id_number, key in cells:
            text = data.draw(EDITS[key], label=f"{id_number} {key}")
            edit(rows, id_number, key, text)
            if key not in dropped:
                expected[id_number][key] = stored_value(key, text)
        table = read_table("p.xlsx", workbook(rows, drop=dropped), Limits.from_settings())
        with transaction.atomic():
            plan = resident_import_plan(table, user=office.clerk)
            assert plan.errors == []
            resident_import_apply(plan, user=office.clerk, filename="p.xlsx")
            assert snapshot(office.grid) == expected
            transaction.set_rollback(True)

    check()


def test_a_building_list_names_stored_buildings_however_spelled(client, office):
    client.force_login(office.clerk)
    headers = ["网格编码", "地址", "单元数", "层数"]
    data = workbook([headers, ["g618", "龙门路４号楼", 2, 6], ["G618", "龙门路5号", 1, 3]])
    response = upload(client, "楼栋.xlsx", data, url="/admin/archives/building/import/")
    plan = response.context["plan"]
    assert [(r.action, r.place[1]) for r in plan.rows] == [
        ("unchanged", "龙门路4号"),
        ("new", "龙门路5号"),
    ]
    assert [(c.words, c.near) for c in plan.new_buildings] == [("G618 龙门路5号", ["龙门路4号"])]
    assert [code for code, _words in response.context["acknowledgements"]] == [CREATION]
