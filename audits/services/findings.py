"""Findings: what an auditor found for a sampled resident, recorded one item at a time from the
checking page or many at once (the demo city's audits)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.model_meta import concrete_field
from archives.models import Resident, Tag
from archives.selectors import resident_completeness
from archives.validators import normalize_id_number
from audits import selectors
from audits.models import AuditCampaign, AuditCorrection, AuditFieldFinding, AuditItem
from audits.selectors import Step

State = AuditCampaign.State
Mark = AuditFieldFinding.Mark
#: The item columns a finding writes (``audit_items_record`` updates only these).
FINDING_COLUMNS = [
    "found",
    "method",
    "satisfaction",
    "note",
    "verdict",
    "fields_correct",
    "fields_wrong",
    "fields_present",
    "fields_required",
    "checked_by_id",
    "checked_at",
]


def parse_value(field_code: str, text: str) -> Any:
    """The value a correct-value text stands for, in the resident field's own type; raises
    ``ValidationError`` when it cannot be one (so a finding cannot hold an impossible value)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Give the correct value."))
    if field_code in selectors.NOT_CORRECTABLE:
        return text
    if field_code == "tags":
        names = [part.strip() for part in text.replace("、", ",").split(",") if part.strip()]
        tags = list(Tag.objects.filter(name__in=names)) + list(Tag.objects.filter(code__in=names))
        known = {t.name for t in tags} | {t.code for t in tags}
        if unknown := [n for n in names if n not in known]:
            raise ValidationError(_("Unknown tags: %(tags)s.") % {"tags": "、".join(unknown)})
        return {tag.pk: tag for tag in tags}.values()
    model_field = concrete_field(Resident, field_code)
    if field_code == "birth_date":
        try:
            value = parse_date(text)
        except ValueError:
            value = None
        if value is None:
            raise ValidationError(_("Write the date as YYYY-MM-DD."))
        return value
    if field_code == scope.ID_NUMBER:
        text = normalize_id_number(text)
    if model_field.choices:
        labels = {str(label): code for code, label in model_field.flatchoices}
        text = labels.get(text, text)
    model_field.clean(text, None)
    return text


@dataclass(frozen=True)
class FieldMark:
    mark: str
    correct_value: str = ""


@transaction.atomic
def audit_item_record(
    *,
    item: AuditItem,
    actor: Actor,
    found: bool,
    marks: dict[str, FieldMark],
    satisfaction: int | None,
    method: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> AuditItem:
    """Record (or, until the campaign closes, re-record) what the auditor found.

    ``marks`` holds a mark for every audited field, with the correct value when wrong. The
    record's verdict: correct when the resident was found and every field is correct;
    incorrect when not found or any field is wrong; otherwise (some fields could not be
    verified, none wrong) undetermined, and left out of record accuracy rather than guessed.
    Completeness comes from the pinned version, not from anything typed. ``at`` dates the
    check (None: now; see ``audit_campaign_draw``).
    """
    item = (
        # of=self: PostgreSQL cannot lock the nullable side of the join to the pinned record.
        AuditItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "stratum", "pinned_record")
        .get(pk=item.pk)
    )
    campaign = AuditCampaign.objects.select_for_update().get(pk=item.campaign_id)
    _check_takes_findings(campaign)
    _check_may_record(campaign, actor=actor, items=[item])
    if errors := _finding_errors(campaign, marks, satisfaction, method):
        raise ValidationError(errors)

    item.findings.all().delete()
    AuditFieldFinding.objects.bulk_create(
        _finding_apply(
            item,
            campaign=campaign,
            actor=actor,
            found=found,
            marks=marks,
            satisfaction=satisfaction,
            method=method,
            note=note,
            at=at,
        )
    )
    item.save()
    _campaign_started(campaign)
    return item


def _check_takes_findings(campaign: AuditCampaign) -> None:
    if not selectors.campaign_allows(campaign, Step.RECORD):
        raise ValidationError(
            _(
                "Findings can be recorded only while the campaign is drawn or in progress; "
                "it is %(state)s."
            )
            % {"state": campaign.get_state_display()}
        )


def _check_may_record(campaign: AuditCampaign, *, actor: Actor, items: list[AuditItem]) -> None:
    """Raise unless ``actor`` may check the grids of ``items`` and no correction was made from
    the findings recorded for them (those findings are its evidence)."""
    grid_ids = {item.stratum.grid_id for item in items}
    if not selectors.may_check_grids(actor, campaign, grid_ids):
        raise PermissionDenied(
            _("Only an auditor of this campaign who does not maintain this grid may check it.")
        )
    if AuditCorrection.objects.filter(finding__item__in=[item.pk for item in items]).exists():
        raise ValidationError(
            _("A correction was made from these findings; they stay as they are.")
        )


def _campaign_started(campaign: AuditCampaign) -> None:
    """The first findings recorded put a drawn campaign in progress."""
    if campaign.state == State.DRAWN:
        campaign.state = State.IN_PROGRESS
        campaign.save(update_fields=["state"])


def _finding_errors(
    campaign: AuditCampaign, marks: dict[str, FieldMark], satisfaction: int | None, method: str
) -> dict[str, list[str]]:
    errors = {}
    if set(marks) != set(campaign.audited_fields):
        errors["__all__"] = [_("Mark every audited field.")]
    for code, field_mark in marks.items():
        if field_mark.mark not in Mark.values:
            errors[code] = [_("Choose correct, wrong or could not verify.")]
        elif field_mark.mark == Mark.WRONG:
            try:
                parse_value(code, field_mark.correct_value)
            except ValidationError as error:
                errors[code] = error.messages
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Rate from 1 to 5.")]
    if method not in AuditItem.Method.values:
        errors["method"] = [_("Say whether you checked by phone or by visit.")]
    return errors


def _finding_apply(
    item: AuditItem,
    *,
    campaign: AuditCampaign,
    actor: Actor,
    found: bool,
    marks: dict[str, FieldMark],
    satisfaction: int | None,
    method: str,
    note: str,
    at: dt.datetime | None,
) -> list[AuditFieldFinding]:
    """Set ``item``'s verdict and figures from checked marks (unsaved); its findings, unsaved."""
    counts = {mark: sum(1 for m in marks.values() if m.mark == mark) for mark in Mark.values}
    if not found or counts[Mark.WRONG]:
        verdict = AuditItem.Verdict.INCORRECT
    elif counts[Mark.UNVERIFIABLE]:
        verdict = AuditItem.Verdict.UNDETERMINED
    else:
        verdict = AuditItem.Verdict.CORRECT
    item.found = found
    item.method = method
    item.satisfaction = satisfaction
    item.note = note
    item.verdict = verdict
    item.fields_correct = counts[Mark.CORRECT]
    item.fields_wrong = counts[Mark.WRONG]
    completeness = resident_completeness(item.pinned_record)
    item.fields_present = completeness.present
    item.fields_required = completeness.required
    item.checked_by = actor
    item.checked_at = at or timezone.now()
    return [
        AuditFieldFinding(
            item=item,
            field=code,
            mark=marks[code].mark,
            correct_value=marks[code].correct_value.strip()
            if marks[code].mark == Mark.WRONG
            else "",
        )
        for code in campaign.audited_fields
    ]


@dataclass(frozen=True)
class ItemFinding:
    """What an auditor found for one item, as ``audit_item_record`` takes it."""

    item: AuditItem
    found: bool
    marks: dict[str, FieldMark]
    satisfaction: int | None
    method: str
    note: str = ""


@transaction.atomic
def audit_items_record(
    *,
    campaign: AuditCampaign,
    actor: Actor,
    findings: list[ItemFinding],
    at: dt.datetime | None = None,
) -> None:
    """Record the findings of many items of ``campaign`` at once, checked exactly as
    ``audit_item_record`` checks one (state, who may check which grid, no correction made,
    every mark valid), in a few queries: the demo city records a month's audit of the whole
    city this way (one by one took 80 ms an item). Any error writes nothing.
    """
    campaign = AuditCampaign.objects.select_for_update().get(pk=campaign.pk)
    _check_takes_findings(campaign)
    pks = [finding.item.pk for finding in findings]
    items = (
        AuditItem.objects.select_for_update(of=("self",))
        .select_related("stratum", "pinned_record")
        .filter(campaign=campaign)
        .in_bulk(pks)
    )
    if len(items) != len(set(pks)):
        raise PermissionDenied(_("An item does not belong to this campaign."))
    _check_may_record(campaign, actor=actor, items=list(items.values()))
    rows = []
    for finding in findings:
        if errors := _finding_errors(campaign, finding.marks, finding.satisfaction, finding.method):
            raise ValidationError(errors)
        rows += _finding_apply(
            items[finding.item.pk],
            campaign=campaign,
            actor=actor,
            found=finding.found,
            marks=finding.marks,
            satisfaction=finding.satisfaction,
            method=finding.method,
            note=finding.note,
            at=at,
        )
    AuditFieldFinding.objects.filter(item__in=pks).delete()
    AuditFieldFinding.objects.bulk_create(rows, batch_size=2000)
    # One small UPDATE an item: bulk_update's CASE per field and row compiled for seconds.
    for item in items.values():
        # Audit items keep no history: an item's findings are the audit's own evidence, fixed
        # once the campaign closes or a correction is made from them.
        AuditItem.objects.filter(pk=item.pk).update(  # history: items are not historied
            **{f: getattr(item, f) for f in FINDING_COLUMNS}
        )
    if findings:
        _campaign_started(campaign)
