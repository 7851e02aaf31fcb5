"""The report form (the events admin's add page): only one's own grids, their buildings and
households, photos checked before anything is saved."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from events.models import Event, EventCategory, EventPhoto, Level, Light
from tests import factories

ADD = reverse("admin:events_event_add")
PLACES = reverse("admin:events_event_places")
LIST = reverse("admin:events_event_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def photo(name: str = "stairwell.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def report_data(city, **changes) -> dict:
    data = {
        "grid": str(city.grid.pk),
        "building": "",
        "household": "",
        "category": str(city.category.pk),
        "description": "楼道里堆放建筑垃圾",
        "urgency": "urgent",
        "latitude": "",
        "longitude": "",
    }
    data.update(changes)
    return data


def field_errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


def test_the_form_offers_only_ones_own_grids_and_a_phone_camera(city, client):
    client.force_login(city.member)
    response = client.get(ADD)
    content = response.content.decode()
    assert response.status_code == 200
    assert city.grid.name in content
    assert city.other_grid.name not in content
    assert 'accept="image/*"' in content and 'capture="environment"' in content
    assert "multiple" in content
    assert "events/report.js" in content and "<script>" not in content  # CSP: no inline script


def test_a_valid_report_is_saved_with_photos_and_opens_the_events_page(city, client):
    building = factories.make_building(grid=city.grid)
    household = factories.make_household(building=building)
    client.force_login(city.member)
    data = report_data(
        city,
        building=str(building.pk),
        household=str(household.pk),
        latitude="39.904200",
        longitude="116.407400",
        photos=[photo("a.jpg"), photo("b.jpg")],
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["form"].errors
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:events_event_change", args=[event.pk])
    assert (event.light, event.level, event.reporter) == (Light.RED, Level.COMMUNITY, city.member)
    assert (event.building, event.household, event.urgency) == (building, household, "urgent")
    assert str(event.latitude) == "39.904200" and str(event.longitude) == "116.407400"
    assert EventPhoto.objects.filter(event=event).count() == 2
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(str(event) in m for m in messages)


def test_a_bad_photo_is_a_field_error_and_nothing_is_saved(city, client):
    client.force_login(city.member)
    fake = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(ADD, report_data(city, photos=[photo(), fake]))
    assert response.status_code == 200
    assert any("evil.jpg" in e for e in field_errors(response, "photos"))
    assert not Event.objects.exists() and not EventPhoto.objects.exists()


def test_a_building_of_another_grid_is_refused_with_a_field_error(city, client):
    elsewhere = factories.make_building(grid=city.other_grid)
    client.force_login(city.member)
    response = client.post(ADD, report_data(city, building=str(elsewhere.pk)))
    assert response.status_code == 200
    assert field_errors(response, "building") == ["请选择所选网格内的楼栋。"]
    assert elsewhere.address not in response.content.decode()
    assert not Event.objects.exists()


def test_a_household_of_another_building_or_grid_is_refused(city, client):
    building = factories.make_building(grid=city.grid)
    other_building = factories.make_building(grid=city.grid)
    household = factories.make_household(building=other_building)
    elsewhere = factories.make_household(grid=city.other_grid)
    client.force_login(city.member)
    response = client.post(
        ADD, report_data(city, building=str(building.pk), household=str(household.pk))
    )
    assert field_errors(response, "household") == ["该住户不在所选楼栋。"]
    response = client.post(ADD, report_data(city, household=str(elsewhere.pk)))
    assert field_errors(response, "household") == ["请选择所选网格内的住户。"]
    assert not Event.objects.exists()


def test_another_grid_an_unused_category_or_half_a_position_is_refused(city, client):
    unused = EventCategory.objects.create(code="old", name="旧类别", active=False)
    client.force_login(city.member)
    response = client.post(ADD, report_data(city, grid=str(city.other_grid.pk)))
    assert field_errors(response, "grid") == ["您不能在该网格上报事件。"]
    response = client.post(ADD, report_data(city, category=str(unused.pk)))
    assert field_errors(response, "category")
    response = client.post(ADD, report_data(city, latitude="39.9"))
    assert response.context["form"].non_field_errors()
    response = client.post(ADD, report_data(city, description="   "))
    assert field_errors(response, "description")
    assert not Event.objects.exists()


@pytest.mark.parametrize("reader", ["street_official", "housing_staff", "inspector", "municipal"])
def test_only_those_who_report_in_a_grid_get_the_form(city, client, reader):
    client.force_login(getattr(city, reader))
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, report_data(city)).status_code == 403
    assert ADD not in client.get(LIST).content.decode()
    assert not Event.objects.exists()


def test_the_community_reports_in_its_grids(city, client):
    client.force_login(city.community_staff)
    assert client.post(ADD, report_data(city)).status_code == 302
    assert Event.objects.get().reporter == city.community_staff
    assert ADD in client.get(LIST).content.decode()


def test_places_answers_only_for_a_grid_one_may_report_in(city, client):
    building = factories.make_building(grid=city.grid)
    household = factories.make_household(building=building)
    elsewhere = factories.make_household(grid=city.other_grid)
    client.force_login(city.member)
    response = client.get(PLACES, {"grid": city.grid.pk})
    places = json.loads(response.content)
    assert response.status_code == 200
    assert places["buildings"] == [{"id": building.pk, "name": building.address}]
    assert [h["id"] for h in places["households"]] == [household.pk]
    assert places["households"][0]["building"] == building.pk
    for grid in (city.other_grid.pk, "x", ""):
        response = client.get(PLACES, {"grid": grid})
        assert response.status_code == 403
        assert elsewhere.building.address not in response.content.decode()
    client.force_login(city.street_official)  # sees the grid, but does not report
    assert client.get(PLACES, {"grid": city.grid.pk}).status_code == 403


def test_a_position_given_as_floats_is_kept_to_six_places(city):
    # A float of two whole degrees became nine significant digits (seven places), which the
    # column refused: every phone position at latitude 10–89 failed.
    event = city.report(latitude=39.9042, longitude=116.4074)
    event.refresh_from_db()
    assert (str(event.latitude), str(event.longitude)) == ("39.904200", "116.407400")
