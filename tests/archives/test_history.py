"""Change history of resident files as users meet it: who, when, why and what; the file as of
a date; revert; no lost updates; deletions kept; unmasked reads logged."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from accounts.system import SYSTEM_USERNAME
from archives import history, scope, services
from archives.demo.city import CitySize, demo_city_seed
from archives.models import Building, Household, Resident, SensitiveAccess, Tag
from portal.demo import demo_roles
from tests import factories

pytestmark = pytest.mark.django_db

RESIDENTS = "/admin/archives/resident/"


def change_form(client, resident: Resident) -> dict:
    """What the change form would post unchanged, as the user who loaded it."""
    form = client.get(f"{RESIDENTS}{resident.pk}/change/").context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    return data


def save(client, resident: Resident, **changes):
    data = {**change_form(client, resident), **changes}
    return client.post(f"{RESIDENTS}{resident.pk}/change/", data)


def test_an_admin_edit_is_one_history_entry_with_user_reason_and_diff(client, city):
    clerk, resident = city.users["clerk"], city.residents["GA1a"]
    client.force_login(clerk)
    elderly = Tag.objects.get(code="elderly-alone")
    chronic = Tag.objects.get(code="chronic-illness")
    before = resident.history.count()
    response = save(
        client,
        resident,
        phone="13900001111",
        tags=[str(chronic.pk)],
        change_reason="moved in with her daughter",
    )
    assert response.status_code == 302
    assert resident.history.count() == before + 1  # the fields and the tags together
    entry = history.row_history(resident, clerk)[0]
    assert (entry.who, entry.why, entry.what) == ("clerk", "moved in with her daughter", "修改")
    changes = {c.label: (c.old, c.new) for c in entry.changes}
    assert changes["联系电话"] == ("13943321234", "13900001111")
    assert changes["标签"] == (f"−{elderly.name}", f"+{chronic.name}")


def test_saving_an_unchanged_form_writes_no_history(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    before = resident.history.count()
    assert save(client, resident).status_code == 302
    assert resident.history.count() == before


def test_the_history_page_shows_who_when_why_newest_first(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    save(client, resident, phone="13900001111", change_reason="first call")
    resident.refresh_from_db()
    save(client, resident, phone="13900002222", change_reason="second call")
    page = client.get(f"{RESIDENTS}{resident.pk}/history/").content.decode()
    assert page.index("second call") < page.index("first call")
    assert "13900001111" in page and "13900002222" in page


def test_history_masks_what_the_reader_may_not_see(client, city):
    resident = city.residents["GB1a"]
    client.force_login(city.users["official"])
    page = client.get(f"{RESIDENTS}{resident.pk}/history/").content.decode()
    assert scope.mask_id_number(resident.id_number) in page
    assert resident.id_number not in page
    assert resident.medical_history not in page
    assert resident.birth_date.isoformat() not in page


def test_the_file_as_of_a_date_shows_the_tags_as_they_were(client, city):
    resident = city.residents["GA1a"]
    resident.history.update(history_date=timezone.make_aware(dt.datetime(2026, 9, 30, 12, 0)))
    client.force_login(city.users["clerk"])
    save(client, resident, tags=[str(Tag.objects.get(code="chronic-illness").pk)], name="新名字")
    old = history.resident_as_of(
        resident, city.users["clerk"], timezone.make_aware(dt.datetime(2026, 10, 31, 23, 59))
    )
    rows = dict(old.rows)
    assert rows["标签"] == "独居老人"
    assert rows["姓名"] == "居民GA1a"
    page = client.get(f"{RESIDENTS}{resident.pk}/history/", {"as_of": "2026-10-31"})
    assert "独居老人" in page.content.decode()
    before = client.get(f"{RESIDENTS}{resident.pk}/history/", {"as_of": "2026-09-01"})
    assert "还不在档案中" in before.content.decode()


def test_revert_brings_the_file_back_and_is_itself_recorded(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    good = resident.history.latest()
    before = resident.history.count()
    save(client, resident, name="改错的名字", tags=[], change_reason="typo")
    response = client.post(f"{RESIDENTS}{resident.pk}/history/{good.history_id}/revert/")
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.name == "居民GA1a"
    assert list(resident.tags.values_list("code", flat=True)) == ["elderly-alone"]
    latest = resident.history.order_by("-history_id").first()
    assert latest.history_change_reason.startswith("恢复到")
    assert resident.history.count() == before + 2  # the mistake and the revert


@pytest.mark.parametrize("username", ["department", "auditor", "team"])
def test_revert_is_refused_outside_change_rights_and_changes_nothing(client, city, username):
    resident = city.residents["GA2a"] if username == "department" else city.residents["GA1a"]
    record = resident.history.earliest()
    resident.name = "当前名字"
    services.resident_save(resident=resident, actor=city.users["street"])
    client.force_login(city.users[username])
    response = client.post(f"{RESIDENTS}{resident.pk}/history/{record.history_id}/revert/")
    assert response.status_code in (403, 404)
    resident.refresh_from_db()
    assert resident.name == "当前名字"


def test_a_second_save_from_a_stale_form_is_refused_and_says_what_changed(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    stale = change_form(client, resident)  # the first person opens the file ...
    street = factories.make_user("street-2", role="street official")
    factories.grant(street, city.streets["SA"])
    other = client.__class__()
    other.force_login(street)
    assert save(other, resident, phone="13900009999").status_code == 302  # ... another saves
    before = resident.history.count()
    response = client.post(
        f"{RESIDENTS}{resident.pk}/change/", {**stale, "phone": "13700000000"}, follow=True
    )
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "未保存" in message and "street-2" in message and "13900009999" in message
    resident.refresh_from_db()
    assert resident.phone == "13900009999"  # nothing overwritten
    assert resident.history.count() == before


def test_the_service_refuses_an_old_version_under_a_lock():
    resident = factories.make_resident()
    actor = factories.make_user("root", superuser=True)
    first, second = Resident.objects.get(pk=resident.pk), Resident.objects.get(pk=resident.pk)
    first.phone = "13900001111"
    services.resident_save(resident=first, actor=actor, loaded_version=1)
    second.name = "旧"
    with pytest.raises(services.ConcurrentEditError):
        services.resident_save(resident=second, actor=actor, loaded_version=1)
    stored = Resident.objects.get(pk=resident.pk)
    assert (stored.phone, stored.name, stored.version) == ("13900001111", resident.name, 2)


def test_only_administrators_delete_and_the_history_keeps_the_file(client, admin_user, city):
    resident = city.residents["GA1a"]
    admin_client = Client()
    admin_client.force_login(admin_user)
    client.force_login(city.users["street"])
    assert client.post(f"{RESIDENTS}{resident.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"{RESIDENTS}{resident.pk}/delete/", {"post": "yes"})
    assert not Resident.objects.filter(pk=resident.pk).exists()
    deleted = Resident.history.model.objects.filter(id=resident.pk, history_type="-").get()
    assert deleted.name == "居民GA1a" and deleted.history_user.username == "root"


def test_deleting_selected_residents_keeps_each_file_in_history_with_who_and_why(
    admin_client, city
):
    chosen = [city.residents["GA1a"], city.residents["GA1b"]]
    data = {"action": "delete_selected", "_selected_action": [r.pk for r in chosen], "post": "yes"}
    assert admin_client.post(RESIDENTS, data).status_code == 302
    deleted = Resident.history.model.objects.filter(id__in=[r.pk for r in chosen], history_type="-")
    assert {(d.history_user.username, d.history_change_reason) for d in deleted} == {
        ("root", "由系统管理员删除")
    }
    assert deleted.count() == 2


def test_seeding_gives_every_resident_a_created_entry_with_its_tags(settings):
    settings.DEBUG = True
    demo_city_seed(
        seed=3,
        size=CitySize(residents=300, grids=3, streets=1),
        today=dt.date.today(),
        roles=demo_roles(),
    )
    assert Resident.history.filter(history_type="+").count() == Resident.objects.count() == 300
    tagged = Resident.objects.filter(tags__isnull=False).distinct().first()
    entry = history.row_history(tagged, factories.make_user("root", superuser=True))[0]
    assert entry.who == SYSTEM_USERNAME
    assert entry.why.startswith("seed_demo")
    assert "标签" in {c.label for c in entry.changes}


def test_unmasked_views_are_logged_and_masked_ones_are_not(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    client.get(f"{RESIDENTS}{resident.pk}/change/")
    client.get(RESIDENTS)
    logged = SensitiveAccess.objects.filter(user=city.users["clerk"], resident_id=resident.pk)
    assert set(logged.values_list("view", flat=True)) == {"file", "list"}
    assert logged.get(view="file").fields == "id_number,medical_history"
    client.force_login(city.users["official"])
    client.get(f"{RESIDENTS}{resident.pk}/change/")
    client.get(RESIDENTS)
    client.get(f"{RESIDENTS}{resident.pk}/history/")
    assert not SensitiveAccess.objects.filter(user=city.users["official"]).exists()


def test_administrators_read_the_log_and_nobody_edits_it(client, admin_user, city):
    admin_client = Client()
    admin_client.force_login(admin_user)
    client.force_login(city.users["clerk"])
    client.get(f"{RESIDENTS}{city.residents['GA1a'].pk}/change/")
    entry = SensitiveAccess.objects.get()
    listing = admin_client.get(
        "/admin/archives/sensitiveaccess/", {"user__id__exact": entry.user_id}
    )
    assert "clerk" in listing.content.decode()
    assert (
        admin_client.post(f"/admin/archives/sensitiveaccess/{entry.pk}/delete/").status_code == 403
    )
    assert client.get("/admin/archives/sensitiveaccess/").status_code == 403


def test_households_and_buildings_have_a_readable_history_too(client, city):
    building = city.residents["GA1a"].household.building
    client.force_login(city.users["clerk"])
    form = client.get(f"/admin/archives/building/{building.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(floors=9, change_reason="加建三层")
    data = {k: v for k, v in data.items() if v is not None}  # no position yet
    assert client.post(f"/admin/archives/building/{building.pk}/change/", data).status_code == 302
    page = client.get(f"/admin/archives/building/{building.pk}/history/").content.decode()
    assert "加建三层" in page and "clerk" in page
    entry = history.row_history(building, city.users["clerk"])[0]
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("层数", "6", "9")]
    before = building.history.count()
    client.post(f"/admin/archives/building/{building.pk}/change/", data)  # the same again
    assert building.history.count() == before  # an unchanged save leaves no entry


def test_an_org_unit_change_keeps_its_reason(admin_client, city):
    grid = city.grids["GA1a"]
    form = admin_client.get(f"/admin/archives/grid/{grid.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(name="安民一网格", change_reason="街道发文更名")
    data = {k: v for k, v in data.items() if v is not None}
    assert admin_client.post(f"/admin/archives/grid/{grid.pk}/change/", data).status_code == 302
    page = admin_client.get(f"/admin/archives/grid/{grid.pk}/history/").content.decode()
    assert "街道发文更名" in page and "GA1a网格" in page and "安民一网格" in page


def test_rows_created_in_bulk_get_the_entry_a_single_save_writes(db):
    clerk = factories.make_user("bulk-clerk", role="grid member")
    grid = factories.make_grid(code="GBULK")
    factories.grant(clerk, grid)
    elderly, low_income = factories.make_tag(), factories.make_tag("low-income", "低保")
    [building] = services.rows_bulk_create(
        rows=[Building(grid=grid, address="新华路1号", units=2, floors=6)],
        actor=clerk,
        reason="import of a.xlsx",
    )
    [household] = services.rows_bulk_create(
        rows=[Household(building=building, unit=1, floor=2, room="201")],
        actor=clerk,
        reason="import of a.xlsx",
    )
    [resident] = services.residents_bulk_create(
        residents=[
            Resident(
                household=household,
                name="金顺姬",
                id_number=factories.id_number_for(dt.date(1948, 3, 14), "F"),
                sex="F",
                birth_date=dt.date(1948, 3, 14),
                phone="13900001111",
            )
        ],
        tag_ids=[{elderly.pk, low_income.pk}],
        actor=clerk,
        reason="import of a.xlsx",
    )

    for row in (building, household, resident):
        [entry] = row.history.all()
        assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
            "+",
            clerk,
            "import of a.xlsx",
        )
    entry = resident.history.get()
    assert (entry.name, entry.phone, entry.household_id) == ("金顺姬", "13900001111", household.pk)
    assert {t.tag_id for t in entry.tags.all()} == {elderly.pk, low_income.pk}
