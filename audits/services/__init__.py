"""Writes for audits. Every function checks who is acting and the campaign's state on the
server and is atomic: bad input raises ``ValidationError`` (or ``PermissionDenied``) and
changes nothing. Which states allow which step, and who may take it, is asked of
``audits.selectors`` (``campaign_allows``, ``may_manage_campaign``, ``may_check_grids``,
``correction_refusal``), which the admin asks too.

A campaign moves draft -> drawn -> in progress (first finding) -> closed, or to cancelled from
any state before closed. The draw is written once and never again; a cancelled campaign keeps
its draw, visible, so that a re-draw hoping for a kinder sample shows.

One module a part: ``campaigns`` (planning, cancelling, closing), ``draw`` (the draw and its
verification), ``findings`` (what the auditors found), ``corrections`` (writing a wrong field
back to the file). Import the names from here.
"""

from audits.services.campaigns import (
    audit_campaign_cancel,
    audit_campaign_close,
    audit_campaign_save,
    audit_campaign_validate,
)
from audits.services.corrections import audit_correction_apply, correction_reason
from audits.services.draw import DrawVerification, audit_campaign_draw, audit_campaign_verify_draw
from audits.services.findings import (
    FieldMark,
    ItemFinding,
    audit_item_record,
    audit_items_record,
    parse_value,
)

__all__ = [
    "DrawVerification",
    "FieldMark",
    "ItemFinding",
    "audit_campaign_cancel",
    "audit_campaign_close",
    "audit_campaign_draw",
    "audit_campaign_save",
    "audit_campaign_validate",
    "audit_campaign_verify_draw",
    "audit_correction_apply",
    "audit_item_record",
    "audit_items_record",
    "correction_reason",
    "parse_value",
]
