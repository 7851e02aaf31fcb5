"""Audit pages mask what the file pages mask: an auditor reads the sampled file with the ID
number masked and no birth date, and nothing they typed into the findings gives those back."""

import datetime as dt

import pytest

from audits import services
from tests import factories
from tests.audits.conftest import all_correct, make_campaign
from tests.audits.test_admin import ITEMS, check_data

pytestmark = pytest.mark.django_db

BIRTH_DATE = "1986-10-31"


@pytest.fixture
def checked(audit_city):
    campaign = make_campaign(
        audit_city, audited_fields=["name", "id_number", "birth_date", "phone"], per_grid=1
    )
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    item = campaign.items.order_by("pk").first()
    marks = all_correct(campaign)
    marks["birth_date"] = services.FieldMark("wrong", BIRTH_DATE)
    marks["id_number"] = services.FieldMark(
        "wrong", factories.id_number_for(dt.date(1986, 10, 31), item.resident.sex)
    )
    services.audit_item_record(
        item=item,
        actor=audit_city.auditor,
        found=True,
        marks=marks,
        satisfaction=4,
        method="phone",
    )
    return item


def test_the_auditor_sees_findings_masked_and_the_form_without_typed_values(
    client, audit_city, checked
):
    typed_id = checked.findings.get(field="id_number").correct_value
    client.force_login(audit_city.auditor)
    page = client.get(f"{ITEMS}{checked.pk}/change/").content.decode()
    assert 'name="value_birth_date"' in page  # the form is there, to save again
    assert BIRTH_DATE not in page
    assert typed_id not in page
    assert typed_id[:6] + "********" + typed_id[-4:] in page


def test_saving_the_form_again_keeps_the_hidden_values_typed_earlier(client, audit_city, checked):
    client.force_login(audit_city.auditor)
    data = check_data(
        checked.campaign, mark_birth_date="wrong", mark_id_number="wrong", satisfaction="2"
    )
    response = client.post(f"{ITEMS}{checked.pk}/change/", data)
    assert response.status_code == 302
    checked.refresh_from_db()
    assert checked.satisfaction == 2
    assert checked.findings.get(field="birth_date").correct_value == BIRTH_DATE


def test_an_administrator_reads_the_findings_in_full(admin_client, checked):
    page = admin_client.get(f"{ITEMS}{checked.pk}/change/").content.decode()
    assert BIRTH_DATE in page
    assert checked.findings.get(field="id_number").correct_value in page
