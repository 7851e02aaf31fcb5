import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archives import scope
from archives.models import Resident
from audits import selectors, services
from audits.models import AuditCampaign, AuditCorrection, AuditItem
from tests import factories
from tests.audits.conftest import all_correct, make_campaign

State = AuditCampaign.State
FieldMark = services.FieldMark


@pytest.fixture
def drawn(audit_city):
    return services.audit_campaign_draw(campaign=make_campaign(audit_city), actor=audit_city.lead)


def record(item, actor, **overrides):
    arguments = {
        "found": True,
        "marks": all_correct(item.campaign),
        "satisfaction": 5,
        "method": AuditItem.Method.PHONE,
    }
    return services.audit_item_record(item=item, actor=actor, **{**arguments, **overrides})


def test_the_first_finding_puts_the_campaign_in_progress(audit_city, drawn):
    item = record(drawn.items.first(), audit_city.auditor)
    drawn.refresh_from_db()
    assert drawn.state == State.IN_PROGRESS
    assert (item.verdict, item.fields_correct, item.fields_wrong) == ("correct", 7, 0)
    assert (item.fields_present, item.fields_required) == (9, 9)


def test_completeness_comes_from_the_pinned_version_not_the_file_now(audit_city, drawn):
    item = drawn.items.select_related("resident").first()
    resident = item.resident
    pinned = item.pinned_record
    pinned.phone = ""  # as if the clerk had left the phone out at draw time
    pinned.save()
    resident.phone = "13900000000"
    resident.save()
    assert record(item, audit_city.auditor).fields_present == 8


def test_a_wrong_field_needs_its_correct_value_and_an_invalid_one_is_refused(audit_city, drawn):
    item = drawn.items.first()
    marks = all_correct(drawn)
    marks["phone"] = FieldMark("wrong")
    with pytest.raises(ValidationError):
        record(item, audit_city.auditor, marks=marks)
    marks["residency_status"] = FieldMark("wrong", "not a status")
    marks["phone"] = FieldMark("wrong", "13912345678")
    with pytest.raises(ValidationError):
        record(item, audit_city.auditor, marks=marks)
    item.refresh_from_db()
    assert not item.is_checked and not item.findings.exists()


def test_a_resident_not_found_makes_the_record_incorrect(audit_city, drawn):
    item = record(drawn.items.first(), audit_city.auditor, found=False)
    assert item.verdict == AuditItem.Verdict.INCORRECT


def test_a_field_that_could_not_be_verified_leaves_the_record_undetermined(audit_city, drawn):
    marks = all_correct(drawn)
    marks["tags"] = FieldMark("unverifiable")
    item = record(drawn.items.first(), audit_city.auditor, marks=marks)
    assert item.verdict == AuditItem.Verdict.UNDETERMINED


def test_only_an_auditor_of_the_campaign_may_check(audit_city, drawn):
    other = factories.make_user("other-auditor", role="auditor")
    with pytest.raises(PermissionDenied):
        record(drawn.items.first(), other)
    with pytest.raises(PermissionDenied):
        record(drawn.items.first(), audit_city.lead)


def test_an_auditor_given_edit_rights_later_cannot_check_that_grid(audit_city, drawn):
    item = drawn.items.filter(stratum__grid=audit_city.grids["G1"]).first()
    audit_city.grids["G1"].members.add(audit_city.auditor)
    with pytest.raises(PermissionDenied):
        record(item, audit_city.auditor)
    assert not selectors.may_check(audit_city.auditor, item)


def test_findings_of_a_closed_campaign_cannot_change(audit_city, drawn):
    item = record(drawn.items.first(), audit_city.auditor)
    services.audit_campaign_close(campaign=drawn, actor=audit_city.lead, reason="residents away")
    with pytest.raises(ValidationError):
        record(item, audit_city.auditor, satisfaction=1)
    item.refresh_from_db()
    assert item.satisfaction == 5
    with pytest.raises(ValidationError):
        services.audit_campaign_cancel(campaign=drawn, actor=audit_city.lead, reason="late")


def test_a_drawn_campaign_with_no_finding_cannot_be_closed(audit_city, drawn):
    with pytest.raises(ValidationError):
        services.audit_campaign_close(campaign=drawn, actor=audit_city.lead)


def test_an_auditor_sees_only_the_sampled_residents_and_no_archive(audit_city, drawn):
    auditor = audit_city.auditor
    assert not scope.restrict(Resident.objects.all(), auditor).exists()
    visible = set(selectors.items_visible_to(auditor).values_list("resident_id", flat=True))
    assert visible == set(drawn.items.values_list("resident_id", flat=True))
    assert len(visible) == 4 < Resident.objects.count()


def test_a_clerk_sees_the_items_of_their_own_grid_only(audit_city, drawn):
    assert not selectors.items_visible_to(audit_city.clerk).exists()  # sample secrecy
    services.audit_campaign_cancel(campaign=drawn, actor=audit_city.lead, reason="ended")
    items = selectors.items_visible_to(audit_city.clerk)
    assert set(items.values_list("stratum__grid__code", flat=True)) == {"G1"}
    # A campaign reaching beyond their grid is not shown to them as a whole.
    assert not selectors.campaigns_visible_to(audit_city.clerk).exists()
    assert selectors.campaigns_visible_to(audit_city.lead).get() == drawn


def test_a_correction_writes_the_file_with_history_naming_the_audit(audit_city, drawn):
    item = drawn.items.filter(stratum__grid=audit_city.grids["G1"]).first()
    marks = all_correct(drawn)
    marks["phone"] = FieldMark("wrong", "13912345678")
    marks["residency_status"] = FieldMark("wrong", "floating")
    record(item, audit_city.auditor, marks=marks)
    for field_name in ("phone", "residency_status"):
        finding = item.findings.get(field=field_name)
        with pytest.raises(PermissionDenied):
            services.audit_correction_apply(finding=finding, actor=audit_city.auditor)
        services.audit_correction_apply(finding=finding, actor=audit_city.clerk)
    resident = Resident.objects.get(pk=item.resident_id)
    assert (resident.phone, resident.residency_status) == ("13912345678", "floating")
    latest = resident.history.latest()
    assert latest.history_change_reason == f"audit {drawn.pk} correction"
    assert latest.history_user == audit_city.clerk
    assert AuditCorrection.objects.get(finding__field="phone").record.phone == "13912345678"
    with pytest.raises(ValidationError):  # once only
        services.audit_correction_apply(
            finding=item.findings.get(field="phone"), actor=audit_city.clerk
        )
    with pytest.raises(ValidationError):  # and the findings it came from stay as found
        record(item, audit_city.auditor)


def test_a_correction_of_tags_by_name_sets_exactly_those_tags(audit_city, drawn):
    factories.make_tag("elderly-alone", "独居老人")
    factories.make_tag("disabled", "残疾")
    item = drawn.items.filter(stratum__grid=audit_city.grids["G1"]).first()
    marks = all_correct(drawn)
    marks["tags"] = FieldMark("wrong", "独居老人、残疾")
    record(item, audit_city.auditor, marks=marks)
    services.audit_correction_apply(finding=item.findings.get(field="tags"), actor=audit_city.clerk)
    resident = Resident.objects.get(pk=item.resident_id)
    assert set(resident.tags.values_list("code", flat=True)) == {"elderly-alone", "disabled"}


def test_a_correct_field_cannot_be_applied_as_a_correction(audit_city, drawn):
    item = record(
        drawn.items.filter(stratum__grid=audit_city.grids["G1"]).first(), audit_city.auditor
    )
    with pytest.raises(ValidationError):
        services.audit_correction_apply(
            finding=item.findings.get(field="name"), actor=audit_city.clerk
        )
