"""An ID number held by an active resident outside one's area is answered only as "registered
in another grid — ask for a transfer", logged, and only so many times a day."""

import datetime as dt

import pytest

from archives.models import Resident, SensitiveAccess
from tests import factories
from tests.archives.test_import import errors_of, row, upload, xlsx

pytestmark = pytest.mark.django_db

ELSEWHERE = "已在其他网格登记——请申请迁入"
ADD = "/admin/archives/resident/add/"


def elsewhere_reads(user) -> list[int]:
    entries = SensitiveAccess.objects.filter(user=user, view=SensitiveAccess.View.ELSEWHERE)
    return sorted(entries.values_list("resident_id", flat=True))


def others(city, count: int) -> list[Resident]:
    """Active residents of street SB, outside every grid of the clerk's."""
    grid = city.grids["GB1a"]
    return [
        factories.make_resident(grid=grid, name=f"外区居民{i}", birth_date=dt.date(1970, 1, 1 + i))
        for i in range(count)
    ]


def test_the_import_preview_says_only_another_grid_and_logs_it(client, city):
    client.force_login(city.users["clerk"])
    elsewhere = city.residents["GA2a"]
    response = upload(client, "f.xlsx", xlsx([row(id_number=elsewhere.id_number)]))
    assert [message for _row, _column, message in errors_of(response)] == [ELSEWHERE]
    assert elsewhere_reads(city.users["clerk"]) == [elsewhere.pk]


def test_past_the_daily_ceiling_the_import_is_refused_without_naming_a_row(client, city, settings):
    settings.RESIDENT_ELSEWHERE_DAILY_LIMIT = 3
    clerk = city.users["clerk"]
    client.force_login(clerk)
    first, *rest = others(city, 4)
    upload(client, "one.xlsx", xlsx([row(id_number=first.id_number)]))
    response = upload(client, "many.xlsx", xlsx([row(id_number=r.id_number) for r in rest]))
    assert "3" in response.context["refused"] and not errors_of(response)
    assert response.context["refused"].startswith("已拒绝")
    assert elsewhere_reads(clerk) == [first.pk]  # nothing more was told, nothing more logged


def test_the_add_form_says_only_another_grid_and_logs_it(client, city, settings):
    settings.RESIDENT_ELSEWHERE_DAILY_LIMIT = 1
    clerk = city.users["clerk"]
    client.force_login(clerk)
    first, second = others(city, 2)
    household = city.residents["GA1a"].household
    for resident, expected in ((first, ELSEWHERE), (second, "每天")):
        response = client.post(ADD, new_file(resident, household))
        assert response.status_code == 200
        assert expected in " ".join(response.context["adminform"].form.errors["id_number"])
        assert "已存在" not in response.content.decode()
    assert elsewhere_reads(clerk) == [first.pk]


def test_the_add_form_names_a_duplicate_the_user_can_see(client, city):
    clerk = city.users["clerk"]
    client.force_login(clerk)
    mine = city.residents["GA1a"]
    response = client.post(ADD, new_file(mine, mine.household))
    assert response.status_code == 200 and "已存在" in response.content.decode()
    assert elsewhere_reads(clerk) == []


def new_file(resident: Resident, household) -> dict:
    return {
        "name": "新居民",
        "id_number": resident.id_number,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "ethnicity": "han",
        "phone": "13900000000",
        "household": household.pk,
        "relation_to_head": "head",
        "residency_status": "registered",
    }
