"""核实: a clerk marks files verified from the resident's page, the resident list or the
household page; who and when go into the file and its history. Saving does not verify."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from archives import services
from archives.models import Resident
from tests import factories

RESIDENTS = "/admin/archives/resident/"


def test_verifying_records_who_and_when_as_a_history_entry(two_grids):
    resident, clerk = two_grids["resident"], two_grids["clerk"]
    with translation.override("zh-hans"):
        services.resident_verify(residents=[resident], actor=clerk, note="电话确认")
    resident.refresh_from_db()
    assert resident.last_verified_by == clerk and resident.last_verified_at is not None
    entry = resident.history.order_by("-history_date", "-history_id").first()
    assert entry.history_user == clerk and entry.history_type == "~"
    assert entry.history_change_reason == "已核实：电话确认"
    assert entry.last_verified_at == resident.last_verified_at
    assert resident.version == 2


def test_nobody_verifies_a_file_outside_their_grids(two_grids):
    with pytest.raises(PermissionDenied):
        services.resident_verify(
            residents=[two_grids["resident"], two_grids["other_resident"]],
            actor=two_grids["clerk"],
        )
    assert not Resident.objects.filter(last_verified_at__isnull=False).exists()
    assert two_grids["resident"].history.count() == 1  # nothing written, no entry


def test_saving_the_form_does_not_verify(client, two_grids):
    resident = two_grids["resident"]
    client.force_login(two_grids["clerk"])
    page = client.get(f"{RESIDENTS}{resident.pk}/change/").content.decode()
    assert f'action="{RESIDENTS}{resident.pk}/verify/"' in page and "核实" in page
    data = {
        "name": resident.name,
        "id_number": resident.id_number,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "ethnicity": resident.ethnicity,
        "phone": "13612345678",
        "household": resident.household_id,
        "relation_to_head": resident.relation_to_head,
        "residency_status": resident.residency_status,
        "loaded_version": resident.version,
        "change_reason": "",
    }
    assert client.post(f"{RESIDENTS}{resident.pk}/change/", data).status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13612345678" and resident.last_verified_at is None


def test_the_button_on_the_resident_page_verifies(client, two_grids):
    resident = two_grids["resident"]
    client.force_login(two_grids["clerk"])
    response = client.post(f"{RESIDENTS}{resident.pk}/verify/", follow=True)
    assert "的档案已标记为已核实" in response.content.decode()
    resident.refresh_from_db()
    assert resident.last_verified_by == two_grids["clerk"]
    assert client.get(f"{RESIDENTS}{resident.pk}/verify/").status_code == 405
    other = two_grids["other_resident"]
    assert client.post(f"{RESIDENTS}{other.pk}/verify/").status_code == 404


def test_the_list_action_verifies_the_selected_files(client, two_grids):
    second = factories.make_resident(grid=two_grids["grid"], name="金成哲")
    client.force_login(two_grids["clerk"])
    client.post(
        RESIDENTS,
        {
            "action": "verify_selected",
            "_selected_action": [two_grids["resident"].pk, second.pk],
        },
    )
    assert Resident.objects.filter(last_verified_by=two_grids["clerk"]).count() == 2


def test_a_department_sees_no_verify_button_and_cannot_verify(client, city):
    resident = city.residents["GA2a"]
    client.force_login(city.users["department"])
    page = client.get(f"{RESIDENTS}{resident.pk}/change/").content.decode()
    assert "/verify/" not in page
    assert client.post(f"{RESIDENTS}{resident.pk}/verify/").status_code == 403
    resident.refresh_from_db()
    assert resident.last_verified_at is None
