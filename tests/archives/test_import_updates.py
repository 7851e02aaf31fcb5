"""Importing a file of residents the archive already holds: the changes are written in bulk,
each resident still gets one history entry with its tags, and an edit someone saves between the
preview and the confirmation is never overwritten unseen."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import services
from archives.imports.reading import Limits, read_table
from archives.imports.residents import resident_import_apply, resident_import_plan
from archives.models import Resident
from tests.archives import test_import
from tests.archives.test_export import export
from tests.archives.test_import import CONFIRM, CREATION_TICKED, upload, xlsx

pytestmark = pytest.mark.django_db


def edited_export(client, **changes) -> bytes:
    """The user's resident export with ``changes`` ({header: value}) made on every row."""
    rows = export(client, "resident", "xlsx")
    headers = rows[0]
    for row in rows[1:]:
        for header, value in changes.items():
            row[headers.index(header)] = value
    return xlsx(rows[1:], headers)


def test_an_update_changes_the_tags_and_its_history_entry_records_them(client, city):
    resident = city.residents["GA1a"]  # elderly living alone
    client.force_login(city.users["clerk"])
    upload(client, "标签.xlsx", edited_export(client, 标签="慢性病", 联系电话="13922223333"))
    assert client.post(CONFIRM).status_code == 302

    resident.refresh_from_db()
    assert resident.phone == "13922223333"
    assert [tag.name for tag in resident.tags.all()] == ["慢性病"]
    assert resident.version == 2
    entry = resident.history.latest()
    assert entry.history_type == "~"
    assert entry.history_change_reason == "导入文件 标签.xlsx（clerk）"
    assert entry.history_user == city.users["clerk"]
    assert [link.tag.name for link in entry.tags.all()] == ["慢性病"]
    assert entry.prev_record.phone != "13922223333"  # the entry before still has the old file


def test_updates_are_written_in_a_number_of_queries_that_does_not_grow_with_rows(client, city):
    community = city.users["community"]  # writes GA1a and GA1b
    client.force_login(community)
    rows = export(client, "resident", "xlsx")
    headers, grid = rows[0], rows[0].index("网格编码")

    def queries_to_apply(grid_codes: set[str], phone: str) -> int:
        edited = [row for row in rows[1:] if row[grid] in grid_codes]
        for row in edited:
            row[headers.index("联系电话")] = phone
        table = read_table("f.xlsx", xlsx(edited, headers), Limits.from_settings())
        plan = resident_import_plan(table, user=community)
        assert plan.errors == [] and plan.counts()["update"] == len(grid_codes)
        with CaptureQueriesContext(connection) as queries:
            resident_import_apply(plan, user=community, filename="f.xlsx")
        return len(queries)

    assert queries_to_apply({"GA1a"}, "13811112222") == queries_to_apply(
        {"GA1a", "GA1b"}, "13833334444"
    )


def test_an_edit_saved_after_the_preview_is_shown_before_anything_is_imported(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    edited = edited_export(client, 联系电话="13933334444")
    upload(client, "电话.xlsx", edited)

    resident.name = "改名后"
    services.resident_save(resident=resident, actor=city.users["community"], reason="核实")
    entries = resident.history.count()

    # The confirmation's job finds the change and fails saying so, writing nothing.
    job_page = client.post(CONFIRM, follow=True)
    assert "在您预览之后被他人修改或新增" in job_page.content.decode()
    resident.refresh_from_db()
    assert resident.name == "改名后"
    assert resident.phone != "13933334444"
    assert resident.history.count() == entries

    upload(client, "电话.xlsx", edited)  # the preview as it now stands, then confirmed
    assert client.post(CONFIRM).status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13933334444"


def test_the_bulk_update_refuses_a_resident_saved_since_it_was_read(city):
    clerk = city.users["clerk"]
    stale = Resident.objects.get(pk=city.residents["GA1a"].pk)
    fresh = Resident.objects.get(pk=stale.pk)
    fresh.phone = "13955556666"
    services.resident_save(resident=fresh, actor=clerk, reason="电话核实")
    entries = stale.history.count()

    stale.name = "过时的修改"
    with pytest.raises(services.ConcurrentEditError):
        services.residents_bulk_update(residents=[stale], tag_ids=[set()], actor=clerk, reason="x")
    fresh.refresh_from_db()
    assert fresh.name != "过时的修改" and fresh.phone == "13955556666"
    assert fresh.history.count() == entries


def test_a_bulk_update_with_one_resident_saved_since_writes_none_of_the_others(city):
    community = city.users["community"]  # writes GA1a and GA1b
    first = Resident.objects.get(pk=city.residents["GA1a"].pk)
    stale = Resident.objects.get(pk=city.residents["GA1b"].pk)
    fresh = Resident.objects.get(pk=stale.pk)
    fresh.phone = "13955556666"
    services.resident_save(resident=fresh, actor=community, reason="电话核实")
    first.name, stale.name = "先改的", "过时的修改"

    with pytest.raises(services.ConcurrentEditError) as refused:
        services.residents_bulk_update(
            residents=[first, stale], tag_ids=[set(), set()], actor=community, reason="x"
        )
    assert refused.value.resident.pk == stale.pk
    assert not Resident.objects.filter(name__in=["先改的", "过时的修改"]).exists()
    assert not first.history.filter(history_change_reason="x").exists()


def test_an_export_with_a_moved_out_resident_imports_back_unchanged(client, city):
    resident = city.residents["GA1a"]
    resident.residency_status = Resident.ResidencyStatus.MOVED_OUT
    services.resident_save(resident=resident, actor=city.users["clerk"], reason="迁出")
    client.force_login(city.users["clerk"])
    residents_before = Resident.objects.count()

    response = upload(client, "导出.xlsx", edited_export(client))
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 1}
    client.post(CONFIRM)
    assert Resident.objects.count() == residents_before


def test_a_moved_out_record_in_another_grid_is_not_taken_over(client, city):
    """Someone who left grid GA1b and now lives in GA1a gets a new record in GA1a; the old
    record stays with GA1b's history."""
    former = city.residents["GA1b"]
    former.residency_status = Resident.ResidencyStatus.MOVED_OUT
    services.resident_save(resident=former, actor=city.users["team"], reason="迁出")
    client.force_login(city.users["clerk"])  # writes GA1a only

    moved_in = test_import.row(id_number=former.id_number, name=former.name)
    response = upload(client, "迁入.xlsx", xlsx([moved_in]))
    assert response.context["counts"] == {"new": 1, "update": 0, "unchanged": 0}
    client.post(CONFIRM, CREATION_TICKED)
    former.refresh_from_db()
    assert former.residency_status == Resident.ResidencyStatus.MOVED_OUT
    assert Resident.objects.filter(id_number=former.id_number).count() == 2
