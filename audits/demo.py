"""The demo city's audits: one whole-city audit a month, drawn, checked and closed through the
audit services on its day of the demo's timeline (``archives.demo.city`` calls
``monthly_audit`` back: the archive may not import the audits), so every draw can be verified
like a real one and last month's report has accuracy and satisfaction to show.

The archive is deterministic for a seed; which files an audit picks is not: the draw takes a
fresh random seed, as every real draw must (nobody may choose the sample), and stores it.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model

from audits.models import AuditCampaign, AuditCorrection, AuditFieldFinding, AuditItem
from audits.services import (
    FieldMark,
    ItemFinding,
    audit_campaign_close,
    audit_campaign_draw,
    audit_campaign_save,
    audit_items_record,
)

#: Files checked per grid each month.
PER_GRID = 3
Mark = AuditFieldFinding.Mark


def demo_audits_reset() -> None:
    """Remove every audit: demo data only, before the demo city itself is removed (the items
    hold on to its residents and their history)."""
    AuditCorrection.objects.all().delete()
    AuditFieldFinding.objects.all().delete()
    AuditItem.objects.all().delete()
    AuditCampaign.objects.all().delete()


def monthly_audit(month: dt.date, at: dt.datetime, rng: random.Random) -> AuditCampaign:
    """The administrator plans and draws ``month``'s audit of the whole city at ``at``; the
    demo auditor checks every item (most files right, now and then a wrong phone number or a
    resident not found) and the campaign closes."""
    users = get_user_model().objects.in_bulk(["admin", "auditor"], field_name="username")
    admin, auditor = users["admin"], users["auditor"]
    campaign = AuditCampaign(
        name=f"{month.year}年{month.month}月全市抽查",
        period=month,
        plan=AuditCampaign.Plan.FIXED,
        per_grid=PER_GRID,
        whole_city=True,
    )
    audit_campaign_save(campaign=campaign, actor=admin, auditors=[auditor])
    audit_campaign_draw(campaign=campaign, actor=admin, at=at)
    findings = []
    for item in campaign.items.order_by("pk"):
        found = rng.random() < 0.97
        marks = {}
        for code in campaign.audited_fields:
            if not found:
                marks[code] = FieldMark(Mark.UNVERIFIABLE)
            elif code == "phone" and rng.random() < 0.06:
                phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
                marks[code] = FieldMark(Mark.WRONG, phone)
            elif rng.random() < 0.01:
                marks[code] = FieldMark(Mark.UNVERIFIABLE)
            else:
                marks[code] = FieldMark(Mark.CORRECT)
        findings.append(
            ItemFinding(
                item=item,
                found=found,
                marks=marks,
                satisfaction=rng.choices([5, 4, 3, 2], [55, 30, 11, 4])[0] if found else None,
                method=rng.choice(AuditItem.Method.values),
            )
        )
    checked = at + dt.timedelta(minutes=30)
    audit_items_record(campaign=campaign, actor=auditor, findings=findings, at=checked)
    audit_campaign_close(campaign=campaign, actor=admin, at=checked + dt.timedelta(minutes=5))
    return campaign
