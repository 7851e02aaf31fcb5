import re

import pytest
from django.urls import reverse
from guardian.shortcuts import remove_perm

from archives.models import Resident
from audits import services
from audits.models import DEFAULT_AUDITED_FIELDS, AuditCampaign, AuditCorrection, AuditItem
from jobs.models import Job
from tests.audits.conftest import make_campaign
from tests.job_steps import followed, jobs_held, run_held

CAMPAIGNS = "/admin/audits/auditcampaign/"
ITEMS = "/admin/audits/audititem/"


@pytest.fixture
def drawn(audit_city):
    return services.audit_campaign_draw(campaign=make_campaign(audit_city), actor=audit_city.lead)


def check_data(campaign, **overrides) -> dict:
    data = {"found": "yes", "method": "phone", "satisfaction": "4", "note": "", "_next": "1"}
    for code in campaign.audited_fields:
        data[f"mark_{code}"] = "correct"
        data[f"value_{code}"] = ""
    return {**data, **overrides}


def test_the_lead_creates_a_campaign_from_the_add_form(client, audit_city):
    client.force_login(audit_city.lead)
    street = audit_city.grids["G1"].community.street
    response = client.post(
        f"{CAMPAIGNS}add/",
        {
            "name": "十二月抽查",
            "period": "2026-12-09",
            "streets": [street.pk],
            "plan": "fixed",
            "per_grid": "3",
            "audited_fields": ["name", "phone"],
            "auditors": [audit_city.auditor.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = AuditCampaign.objects.get()
    assert (campaign.state, str(campaign.period)) == ("draft", "2026-12-01")
    assert set(campaign.grids.values_list("code", flat=True)) == {"G1", "G2"}


def test_the_add_form_shows_a_maintaining_auditor_as_an_error_and_saves_nothing(client, audit_city):
    client.force_login(audit_city.lead)
    audit_city.grids["G1"].members.add(audit_city.auditor)
    response = client.post(
        f"{CAMPAIGNS}add/",
        {
            "name": "x",
            "period": "2026-12-01",
            "chosen_grids": [audit_city.grids["G1"].pk],
            "plan": "fixed",
            "per_grid": "3",
            "audited_fields": ["name"],
            "auditors": [audit_city.auditor.pk],
        },
    )
    assert response.status_code == 200
    assert "auditor" in response.content.decode()
    assert not AuditCampaign.objects.exists()


def test_drawing_from_the_campaign_page_then_the_page_is_read_only(client, audit_city):
    campaign = make_campaign(audit_city)
    client.force_login(audit_city.lead)
    assert client.get(f"{CAMPAIGNS}{campaign.pk}/draw/").status_code == 200
    job, job_page = followed(client, client.post(f"{CAMPAIGNS}{campaign.pk}/draw/"))
    campaign.refresh_from_db()
    assert campaign.state == "drawn" and campaign.items.count() == 4
    assert job.state == "done" and "已完成抽样" in job_page
    assert f'href="{CAMPAIGNS}{campaign.pk}/change/"' in job_page
    page = client.get(f"{CAMPAIGNS}{campaign.pk}/change/").content.decode()
    assert campaign.seed in page and "verify/" in page and 'href="draw/"' not in page
    again = client.post(f"{CAMPAIGNS}{campaign.pk}/draw/", follow=True)
    campaign.refresh_from_db()
    assert campaign.items.count() == 4 and Job.objects.count() == 1  # refused before a job
    assert "不能重复抽样" in again.content.decode()


def test_a_draw_whose_campaign_was_cancelled_before_the_job_ran_says_why_and_draws_nothing(
    client, audit_city
):
    campaign = make_campaign(audit_city)
    client.force_login(audit_city.lead)
    with jobs_held():
        response = client.post(f"{CAMPAIGNS}{campaign.pk}/draw/")
    services.audit_campaign_cancel(campaign=campaign, actor=audit_city.lead, reason="计划变更")
    job = run_held(Job.objects.get())
    _, page = followed(client, response)
    assert job.state == "failed" and "不能重复抽样" in page
    assert not AuditItem.objects.exists() and not campaign.strata.exists()


def test_a_draw_whose_lead_lost_the_grant_before_the_job_ran_draws_nothing(client, audit_city):
    campaign = make_campaign(audit_city)
    client.force_login(audit_city.lead)
    with jobs_held():
        response = client.post(f"{CAMPAIGNS}{campaign.pk}/draw/")
    street = audit_city.grids["G1"].community.street
    remove_perm("archives.access_street", audit_city.lead, street)
    job = run_held(Job.objects.get())
    _, page = followed(client, response)
    assert job.state == "failed" and job.message in page
    campaign.refresh_from_db()
    assert campaign.state == "draft" and not AuditItem.objects.exists()


def test_another_user_cannot_see_a_draw_job(client, audit_city):
    campaign = make_campaign(audit_city)
    client.force_login(audit_city.lead)
    job, _ = followed(client, client.post(f"{CAMPAIGNS}{campaign.pk}/draw/"))
    client.force_login(audit_city.auditor)
    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 404


def test_the_verify_page_confirms_an_untouched_draw(client, audit_city, drawn):
    client.force_login(audit_city.auditor)
    page = client.get(f"{CAMPAIGNS}{drawn.pk}/verify/").content.decode()
    assert "✔" in page


def test_the_auditor_checks_an_item_and_moves_to_the_next(client, audit_city, drawn):
    client.force_login(audit_city.auditor)
    first, second = drawn.items.order_by("pk")[:2]
    page = client.get(f"{ITEMS}{first.pk}/change/").content.decode()
    assert first.pinned_record.name in page
    assert first.resident.id_number not in page  # masked for the auditor
    response = client.post(f"{ITEMS}{first.pk}/change/", check_data(drawn))
    assert response.status_code == 302 and response.url.endswith(f"{second.pk}/change/")
    first.refresh_from_db()
    assert first.verdict == "correct" and first.checked_by == audit_city.auditor


def test_a_wrong_field_without_its_value_shows_the_form_again_and_saves_nothing(
    client, audit_city, drawn
):
    client.force_login(audit_city.auditor)
    item = drawn.items.first()
    response = client.post(f"{ITEMS}{item.pk}/change/", check_data(drawn, mark_phone="wrong"))
    assert response.status_code == 200
    item.refresh_from_db()
    assert not item.is_checked


def test_the_auditor_cannot_open_archive_lists(client, audit_city, drawn):
    client.force_login(audit_city.auditor)
    assert client.get("/admin/archives/resident/").status_code == 403


def test_a_clerk_cannot_check_but_corrects_a_wrong_field_in_one_click(client, audit_city, drawn):
    item = drawn.items.filter(stratum__grid=audit_city.grids["G1"]).first()
    services.audit_item_record(
        item=item,
        actor=audit_city.auditor,
        found=True,
        marks={
            **{c: services.FieldMark("correct") for c in drawn.audited_fields},
            "phone": services.FieldMark("wrong", "13912345678"),
        },
        satisfaction=3,
        method=AuditItem.Method.VISIT,
    )
    services.audit_campaign_close(  # the sample is known once the campaign is closed
        campaign=drawn, actor=audit_city.lead, reason="the other households were away"
    )
    client.force_login(audit_city.clerk)
    assert client.post(f"{ITEMS}{item.pk}/change/", check_data(drawn)).status_code == 403
    page = client.get(f"{ITEMS}{item.pk}/change/").content.decode()
    assert "correct/" in page
    finding = item.findings.get(field="phone")
    client.post(f"{ITEMS}{item.pk}/correct/", {"finding": finding.pk})
    assert Resident.objects.get(pk=item.resident_id).phone == "13912345678"
    assert AuditCorrection.objects.filter(finding=finding).exists()


def test_the_results_page_shows_no_data_before_checking_and_rates_after(client, audit_city, drawn):
    client.force_login(audit_city.lead)
    page = client.get(f"{CAMPAIGNS}{drawn.pk}/results/").content.decode()
    assert "G1网格" in page and "95% CI" not in page
    client.force_login(audit_city.auditor)
    for item in drawn.items.all():
        client.post(f"{ITEMS}{item.pk}/change/", check_data(drawn))
    page = client.get(f"{CAMPAIGNS}{drawn.pk}/results/").content.decode()
    assert "100.0% (4/4; 95% CI" in page


def test_cancel_needs_a_reason_and_close_makes_findings_final(client, audit_city, drawn):
    client.force_login(audit_city.lead)
    client.post(f"{CAMPAIGNS}{drawn.pk}/cancel/", {"reason": ""})
    drawn.refresh_from_db()
    assert drawn.state == "drawn"
    item = drawn.items.first()
    client.force_login(audit_city.auditor)
    client.post(f"{ITEMS}{item.pk}/change/", check_data(drawn))
    client.force_login(audit_city.lead)
    client.post(f"{CAMPAIGNS}{drawn.pk}/close/", {"reason": "三户外出"})
    drawn.refresh_from_db()
    assert drawn.state == "closed"
    client.force_login(audit_city.auditor)
    response = client.post(f"{ITEMS}{item.pk}/change/", check_data(drawn, satisfaction="1"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.satisfaction == 4


def test_the_login_page_opens_for_an_anonymous_visitor(client, db):
    assert client.get("/admin/login/").status_code == 200


def _object_tools(page: str) -> list[str]:
    tools = re.search(r'<ul class="object-tools">(.*?)</ul>', page, re.S).group(1)
    return re.findall(r'href="([^"]+)"', tools)


def test_every_button_on_a_campaign_page_opens_its_page(client, audit_city):
    campaign = make_campaign(audit_city)
    client.force_login(audit_city.lead)
    draft_tools = _object_tools(client.get(f"{CAMPAIGNS}{campaign.pk}/change/").content.decode())
    assert f"{CAMPAIGNS}{campaign.pk}/draw/" in draft_tools
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    item = campaign.items.first()
    client.force_login(audit_city.auditor)
    client.post(f"{ITEMS}{item.pk}/change/", check_data(campaign))
    client.force_login(audit_city.lead)
    tools = _object_tools(client.get(f"{CAMPAIGNS}{campaign.pk}/change/").content.decode())
    assert len(tools) >= 6  # items, results, verify, close, cancel, history
    for url in {*draft_tools, *tools}:
        assert url.startswith("/"), url
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url


def test_a_new_campaign_starts_with_the_usual_fields_ticked(client, audit_city):
    client.force_login(audit_city.lead)
    page = client.get(f"{CAMPAIGNS}add/").content.decode()
    box = r'<input type="checkbox" name="audited_fields" value="(\w+)"[^>]*checked'
    ticked = re.findall(box, page)
    assert ticked == DEFAULT_AUDITED_FIELDS
