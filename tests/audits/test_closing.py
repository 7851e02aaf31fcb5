"""Closing a campaign with items left unchecked: the service asks why, and the results and the
officials' dashboard say it is incomplete."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from audits import selectors, services
from audits.models import AuditCampaign
from portal.roles import MUNICIPAL_OFFICIAL
from tests import factories
from tests.audits.conftest import make_campaign
from tests.audits.test_results import check_all

CAMPAIGNS = "/admin/audits/auditcampaign/"
TODAY = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)  # November is in the chart's months


@pytest.fixture
def one_of_four_checked(audit_city) -> AuditCampaign:
    campaign = make_campaign(audit_city)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor, unchecked=3)
    return campaign


def test_closing_with_unchecked_items_and_no_reason_is_refused(audit_city, one_of_four_checked):
    with pytest.raises(ValidationError, match="4 项中有 3 项尚未检查"):
        services.audit_campaign_close(campaign=one_of_four_checked, actor=audit_city.lead)
    with pytest.raises(ValidationError):
        services.audit_campaign_close(
            campaign=one_of_four_checked, actor=audit_city.lead, reason="   "
        )
    one_of_four_checked.refresh_from_db()
    assert one_of_four_checked.state == AuditCampaign.State.IN_PROGRESS


def test_closing_with_unchecked_items_keeps_the_reason(audit_city, one_of_four_checked):
    services.audit_campaign_close(
        campaign=one_of_four_checked, actor=audit_city.lead, reason=" 三户长期外出 "
    )
    one_of_four_checked.refresh_from_db()
    assert one_of_four_checked.state == AuditCampaign.State.CLOSED
    assert one_of_four_checked.close_reason == "三户长期外出"
    assert selectors.campaign_progress(one_of_four_checked) == selectors.Progress(1, 4)


def test_a_fully_checked_campaign_closes_without_a_reason(audit_city):
    campaign = make_campaign(audit_city)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor)
    services.audit_campaign_close(campaign=campaign, actor=audit_city.lead)
    campaign.refresh_from_db()
    assert campaign.state == AuditCampaign.State.CLOSED and campaign.close_reason == ""


def test_the_close_page_counts_the_unchecked_and_asks_for_a_reason(
    client, audit_city, one_of_four_checked
):
    client.force_login(audit_city.lead)
    url = f"{CAMPAIGNS}{one_of_four_checked.pk}/close/"
    page = client.get(url).content.decode()
    assert "4 项中有 3 项尚未检查" in page
    assert '<textarea name="reason" id="id_reason" rows="3" required>' in page
    client.post(url, {"reason": ""})
    one_of_four_checked.refresh_from_db()
    assert one_of_four_checked.state == AuditCampaign.State.IN_PROGRESS
    client.post(url, {"reason": "三户长期外出"})
    one_of_four_checked.refresh_from_db()
    assert one_of_four_checked.state == AuditCampaign.State.CLOSED


def test_the_results_and_the_dashboard_say_the_audit_was_incomplete(
    client, audit_city, one_of_four_checked
):
    services.audit_campaign_close(
        campaign=one_of_four_checked, actor=audit_city.lead, reason="三户长期外出"
    )
    client.force_login(audit_city.lead)
    results = client.get(f"{CAMPAIGNS}{one_of_four_checked.pk}/results/").content.decode()
    assert "未完成（已查 1 / 4）" in results and "三户长期外出" in results

    official = factories.make_user("city", role=MUNICIPAL_OFFICIAL)
    with time_machine.travel(TODAY):
        client.force_login(official)
        index = client.get("/admin/").content.decode()
    assert "十一月抽查 (2026-11) · 未完成（已查 1 / 4）" in index
