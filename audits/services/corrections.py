"""Corrections: a field found wrong, written back to the resident's file by someone who may
change it. The finding itself stays as the auditor recorded it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import services as archive_services
from archives.models import Resident
from audits import selectors
from audits.models import AuditCampaign, AuditCorrection, AuditFieldFinding
from audits.services.findings import parse_value


def correction_reason(campaign: AuditCampaign) -> str:
    """The reason the file's history gives for a correction from ``campaign``."""
    return f"audit {campaign.pk} correction"


@transaction.atomic
def audit_correction_apply(*, finding: AuditFieldFinding, actor: Actor) -> AuditCorrection:
    """Write a wrong field's correct value into the resident's file, as ``actor``.

    Goes through ``archives.services.resident_save``, which re-checks that the actor may
    change the resident and records one history entry with the reason "audit N correction".
    The finding is not changed: it stays what the auditor found.
    """
    finding = (
        AuditFieldFinding.objects.select_for_update(of=("self",))
        .select_related("item__campaign", "item__resident")
        .get(pk=finding.pk)
    )
    campaign = finding.item.campaign
    if (refusal := selectors.correction_refusal(finding)) is not None:
        raise ValidationError(refusal)
    if not selectors.may_correct(actor, finding.item):
        raise PermissionDenied(_("You may not change this resident."))
    resident = Resident.objects.get(pk=finding.item.resident_id)
    value = parse_value(finding.field, finding.correct_value)
    tags = None
    if finding.field == "tags":
        tags = list(value)
    else:
        setattr(resident, finding.field, value)
    before = resident.history.order_by("-history_id").values_list("history_id", flat=True).first()
    archive_services.resident_save(
        resident=resident, actor=actor, tags=tags, reason=correction_reason(campaign)
    )
    after = resident.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return AuditCorrection.objects.create(
        finding=finding, applied_by=actor, record_id=after if after != before else None
    )
