"""Writes for audits. Every function checks who is acting and the campaign's state on the
server and is atomic: bad input raises ``ValidationError`` (or ``PermissionDenied``) and
changes nothing.

A campaign moves draft -> drawn -> in progress (first finding) -> closed, or to cancelled from
any state before closed. The draw is written once and never again; a cancelled campaign keeps
its draw, visible, so that a re-draw hoping for a kinder sample shows.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from archives import scope, services
from archives.models import Community, Grid, Resident, Street, Tag
from archives.validators import normalize_id_number
from audits import sampling, selectors
from audits import sql as audit_sql
from audits.models import (
    AUDITABLE_FIELDS,
    REQUIRED_FIELDS,
    AuditCampaign,
    AuditCorrection,
    AuditFieldFinding,
    AuditItem,
    AuditStratum,
)
from audits.stats import lqas_rule, lqas_smallest_n

State = AuditCampaign.State
Plan = AuditCampaign.Plan
Mark = AuditFieldFinding.Mark
AUDITABLE_CODES = [code for code, _label in AUDITABLE_FIELDS]
#: Fields a correction cannot write in one click: the household is a choice among households,
#: which the auditor's free text cannot name; the person with edit rights picks it on the file.
NOT_CORRECTABLE = {"household"}


def correction_reason(campaign: AuditCampaign) -> str:
    return f"audit {campaign.pk} correction"


# Campaigns --------------------------------------------------------------------------------------


def _scope_grid_ids(
    *, whole_city: bool, streets: Iterable[Street], communities: Iterable[Community], grids
) -> list[int]:
    if whole_city:
        return list(Grid.objects.order_by("pk").values_list("pk", flat=True))
    chosen = Grid.objects.filter(
        pk__in=[g.pk for g in grids]
        + list(
            Grid.objects.filter(community__in=[c.pk for c in communities]).values_list(
                "pk", flat=True
            )
        )
        + list(
            Grid.objects.filter(community__street__in=[s.pk for s in streets]).values_list(
                "pk", flat=True
            )
        )
    )
    return list(chosen.order_by("pk").values_list("pk", flat=True))


def _check_plan(campaign: AuditCampaign) -> None:
    errors = {}
    if campaign.plan in (Plan.FIXED, Plan.LQAS) and not campaign.per_grid:
        errors["per_grid"] = _("Give the sample size per grid.")
    if campaign.plan == Plan.SHARE and not campaign.share_percent:
        errors["share_percent"] = _("Give the share of each grid to sample.")
    if campaign.plan == Plan.LQAS:
        if not campaign.lqas_benchmark:
            errors["lqas_benchmark"] = _("Give the LQAS benchmark.")
        elif (
            campaign.per_grid
            and lqas_rule(campaign.per_grid, campaign.lqas_benchmark / 100) is None
        ):
            smallest = lqas_smallest_n(campaign.lqas_benchmark / 100)
            errors["per_grid"] = _(
                "No LQAS decision rule keeps both errors at or below 10%% with n = %(n)d at "
                "%(benchmark)d%%; the smallest sample that allows one is %(smallest)s."
            ) % {"n": campaign.per_grid, "benchmark": campaign.lqas_benchmark, "smallest": smallest}
    unknown = set(campaign.audited_fields or []) - set(AUDITABLE_CODES)
    if not campaign.audited_fields or unknown:
        errors["audited_fields"] = _("Choose at least one of the fields offered.")
    if errors:
        raise ValidationError(errors)


def _check_auditors(auditors: Iterable[AbstractBaseUser], grid_ids: list[int]) -> None:
    problems = []
    for auditor in auditors:
        if not auditor.has_perm("audits.change_audititem"):
            problems.append(_("%(user)s does not hold the auditor role.") % {"user": auditor})
            continue
        maintained = list(selectors.maintained_grids(auditor, grid_ids)[:5])
        if maintained:
            problems.append(
                _("%(user)s maintains %(grids)s in this scope and may not audit it.")
                % {"user": auditor, "grids": "、".join(g.name for g in maintained)}
            )
    if problems:
        raise ValidationError({"auditors": problems})


def audit_campaign_validate(
    *,
    campaign: AuditCampaign,
    actor: AbstractBaseUser,
    streets: Iterable[Street] = (),
    communities: Iterable[Community] = (),
    grids: Iterable[Grid] = (),
    auditors: Iterable[AbstractBaseUser] = (),
) -> list[int]:
    """Every check ``audit_campaign_save`` makes, writing nothing; the grid IDs of the scope.

    The admin form calls it to show the errors beside the fields they are about.
    """
    if campaign._state.adding:
        if not (actor.is_superuser or actor.has_perm("audits.add_auditcampaign")):
            raise PermissionDenied(_("You may not create audit campaigns."))
    else:
        stored = AuditCampaign.objects.get(pk=campaign.pk)
        if not selectors.may_manage_campaign(actor, stored):
            raise PermissionDenied(_("You may not change this campaign."))
        if stored.state != State.DRAFT:
            raise ValidationError(
                _("Only a draft campaign can be changed; this one is %(state)s.")
                % {"state": stored.get_state_display()}
            )
    grid_ids = _scope_grid_ids(
        whole_city=campaign.whole_city, streets=streets, communities=communities, grids=grids
    )
    if not grid_ids:
        raise ValidationError(_("Choose the scope: the whole city, streets, communities or grids."))
    if scope.granted_grids(actor).filter(pk__in=grid_ids).count() != len(grid_ids):
        raise PermissionDenied(_("The scope reaches grids outside your own area."))
    _check_plan(campaign)
    auditors = list(auditors)
    if not auditors:
        raise ValidationError({"auditors": [_("Assign at least one auditor.")]})
    _check_auditors(auditors, grid_ids)
    return grid_ids


@transaction.atomic
def audit_campaign_save(
    *,
    campaign: AuditCampaign,
    actor: AbstractBaseUser,
    streets: Iterable[Street] = (),
    communities: Iterable[Community] = (),
    grids: Iterable[Grid] = (),
    auditors: Iterable[AbstractBaseUser] = (),
) -> AuditCampaign:
    """Create a campaign, or change one that is still a draft, for ``actor``.

    The scope (whole city, streets, communities, grids) must lie inside the actor's grants and
    hold at least one grid; the plan must be complete (an LQAS plan must have a decision rule);
    no auditor may maintain a grid in the scope.
    """
    if not campaign._state.adding:
        AuditCampaign.objects.select_for_update().get(pk=campaign.pk)  # one editor at a time
    streets, communities, grids = list(streets), list(communities), list(grids)
    auditors = list(auditors)
    grid_ids = audit_campaign_validate(
        campaign=campaign,
        actor=actor,
        streets=streets,
        communities=communities,
        grids=grids,
        auditors=auditors,
    )
    if campaign._state.adding:
        campaign.created_by = actor
    campaign.period = campaign.period.replace(day=1)
    campaign.full_clean(exclude=["created_by"])
    campaign.save()
    campaign.streets.set(streets)
    campaign.communities.set(communities)
    campaign.chosen_grids.set(grids)
    campaign.grids.set(grid_ids)
    campaign.auditors.set(auditors)
    return campaign


def _locked_for(campaign: AuditCampaign, actor: AbstractBaseUser) -> AuditCampaign:
    stored = AuditCampaign.objects.select_for_update().get(pk=campaign.pk)
    if not selectors.may_manage_campaign(actor, stored):
        raise PermissionDenied(_("You may not manage this campaign."))
    return stored


def _stratum_sizes(campaign: AuditCampaign, population: dict[int, list[int]]) -> dict[int, int]:
    share = (campaign.share_percent or 0) / 100
    return {
        grid_id: sampling.planned_size(
            campaign.plan, len(ids), per_grid=campaign.per_grid, share=share
        )
        for grid_id, ids in population.items()
    }


def _eligible_population(grid_ids: list[int], whole_city: bool) -> dict[int, list[int]]:
    """The active residents in scope as strata: grid ID -> resident IDs, ascending.

    No ``ORDER BY random()``: the sampling happens in Python.
    """
    residents = Resident.objects.filter(residency_status__in=Resident.ACTIVE_STATUSES)
    if not whole_city:
        residents = residents.filter(household__building__grid__in=grid_ids)
    return audit_sql.resident_ids_per_grid(residents)


def _items_create(
    campaign: AuditCampaign, sample: dict[int, list[int]], stratum_of: dict[int, int]
) -> None:
    """One item per sampled resident, in grid then resident order, each pinned to the
    resident's latest history entry (the file as it stands at the draw)."""
    drawn = [
        (stratum_of[grid_id], resident_id)
        for grid_id in sorted(sample)
        for resident_id in sample[grid_id]
    ]
    audit_sql.audit_items_insert(campaign, drawn)


@transaction.atomic
def audit_campaign_draw(
    *, campaign: AuditCampaign, actor: AbstractBaseUser, at: dt.datetime | None = None
) -> AuditCampaign:
    """Draw the sample, once: the eligible residents (active, in scope, now), per grid the
    plan's number of them (all, when a grid has fewer; its stratum says so), each item pinned
    to the resident's latest history entry. The seed, the population and the algorithm
    version are stored so that ``audit_campaign_verify_draw`` can re-run it.

    ``at`` dates the draw (None: now); only the demo city's past passes it, drawing from the
    archive as its timeline stands on that day.
    """
    campaign = _locked_for(campaign, actor)
    if campaign.state != State.DRAFT:
        raise ValidationError(
            _("This campaign was drawn already (%(state)s); a draw cannot be repeated.")
            % {"state": campaign.get_state_display()}
        )
    # The scope as it is now: a grid added under a chosen street since the draft counts.
    grid_ids = _scope_grid_ids(
        whole_city=campaign.whole_city,
        streets=campaign.streets.all(),
        communities=campaign.communities.all(),
        grids=campaign.chosen_grids.all(),
    )
    _check_auditors(campaign.auditors.all(), grid_ids)
    population = _eligible_population(grid_ids, campaign.whole_city)
    if not population:
        raise ValidationError(
            _("No active resident lives in this campaign's scope: nothing to draw.")
        )
    seed = sampling.new_seed()
    sizes = _stratum_sizes(campaign, population)
    sample = sampling.draw(population, sizes, seed)

    campaign.grids.set(grid_ids)
    members = {}
    for grid_id, user_id in Grid.members.through.objects.filter(grid_id__in=grid_ids).values_list(
        "grid_id", "user_id"
    ):
        members.setdefault(grid_id, []).append(user_id)
    strata = AuditStratum.objects.bulk_create(
        [
            _stratum(campaign, grid_id, population.get(grid_id, []), sizes.get(grid_id, 0))
            for grid_id in grid_ids
        ]
    )
    AuditStratum.members.through.objects.bulk_create(
        [
            AuditStratum.members.through(auditstratum_id=stratum.pk, user_id=user_id)
            for stratum in strata
            for user_id in members.get(stratum.grid_id, [])
        ],
        batch_size=5000,
    )
    stratum_of = {stratum.grid_id: stratum.pk for stratum in strata}
    _items_create(campaign, sample, stratum_of)
    items = AuditItem.objects.filter(campaign=campaign)
    if unpinned := list(
        items.filter(pinned_record__isnull=True).values_list("resident_id", flat=True)[:5]
    ):
        raise ValidationError(
            _("Residents %(ids)s have no history entry to pin; run populate_history first.")
            % {"ids": ", ".join(map(str, unpinned))}
        )
    campaign.seed = seed.hex()
    campaign.algorithm_version = sampling.ALGORITHM_VERSION
    campaign.population_sha256, campaign.population = sampling.population_seal(population)
    campaign.population_size = sum(len(ids) for ids in population.values())
    campaign.drawn_at = at or timezone.now()
    campaign.drawn_by = actor
    campaign.state = State.DRAWN
    campaign.save()
    return campaign


def _stratum(campaign: AuditCampaign, grid_id: int, ids: list[int], planned: int) -> AuditStratum:
    drawn = min(planned, len(ids))
    threshold = None
    if campaign.plan == Plan.LQAS and drawn:
        if drawn == len(ids):
            # The whole grid was checked: no sampling error to guard against, so it passes
            # when the benchmark share of it is correct (integer arithmetic: no 16.000001).
            threshold = -(-campaign.lqas_benchmark * drawn // 100)
        else:
            rule = lqas_rule(drawn, campaign.lqas_benchmark / 100)
            threshold = rule.threshold if rule else None
    return AuditStratum(
        campaign=campaign,
        grid_id=grid_id,
        population=len(ids),
        planned=planned,
        drawn=drawn,
        lqas_threshold=threshold,
    )


@dataclass
class DrawVerification:
    ok: bool
    problems: list[str] = field(default_factory=list)


def audit_campaign_verify_draw(
    *, campaign: AuditCampaign, actor: AbstractBaseUser
) -> DrawVerification:
    """Re-run the draw from what the campaign stored and compare with its items.

    Checks that the stored population still has the stored SHA-256, that the sample sizes
    follow from the plan, and that the sampler, given the stored seed, picks exactly the
    stored items: any edit to the seed, the population, the plan or the items shows. Reads
    only; open to whoever may see the campaign.
    """
    if not selectors.campaigns_visible_to(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied(_("You may not see this campaign."))
    if not campaign.is_drawn:
        return DrawVerification(ok=False, problems=[_("The campaign has not been drawn.")])
    problems = []
    if campaign.algorithm_version not in sampling.VERIFIABLE_VERSIONS:
        problems.append(
            _("Drawn with algorithm %(stored)s; this portal runs %(current)s.")
            % {"stored": campaign.algorithm_version, "current": sampling.ALGORITHM_VERSION}
        )
        return DrawVerification(ok=False, problems=problems)
    population, sha256 = sampling.population_open(
        bytes(campaign.population), campaign.algorithm_version
    )
    if sha256 != campaign.population_sha256:
        problems.append(_("The stored population does not match its SHA-256."))
    sample = sampling.draw(
        population, _stratum_sizes(campaign, population), bytes.fromhex(campaign.seed)
    )
    drawn = sampling.group(
        campaign.items.order_by("resident_id").values_list("resident_id", "stratum__grid_id")
    )
    expected = {grid_id: ids for grid_id, ids in sample.items() if ids}
    if drawn != expected:
        differing = sorted(
            set(drawn) ^ set(expected)
            | {g for g in set(drawn) & set(expected) if drawn[g] != expected[g]}
        )
        problems.append(
            _("The stored items differ from a re-run of the draw in grids %(grids)s.")
            % {"grids": ", ".join(map(str, differing[:10]))}
        )
    return DrawVerification(ok=not problems, problems=problems)


@transaction.atomic
def audit_campaign_cancel(
    *, campaign: AuditCampaign, actor: AbstractBaseUser, reason: str
) -> AuditCampaign:
    """Cancel a campaign that is not closed; its draw and findings stay, visible."""
    campaign = _locked_for(campaign, actor)
    if campaign.state in (State.CLOSED, State.CANCELLED):
        raise ValidationError(
            _("A %(state)s campaign cannot be cancelled.") % {"state": campaign.get_state_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the campaign is cancelled.")]})
    campaign.state = State.CANCELLED
    campaign.cancel_reason = reason.strip()
    campaign.cancelled_by = actor
    campaign.cancelled_at = timezone.now()
    campaign.save()
    return campaign


@transaction.atomic
def audit_campaign_close(
    *,
    campaign: AuditCampaign,
    actor: AbstractBaseUser,
    reason: str = "",
    at: dt.datetime | None = None,
) -> AuditCampaign:
    """Close a campaign in progress: its findings, and so its results, are final. ``at``
    dates the close (None: now; see ``audit_campaign_draw``).

    A campaign with items left unchecked closes only with a reason: its figures rest on the
    items checked, and whoever reads them later (the results, the officials' dashboard) is
    told it was incomplete and why.
    """
    campaign = _locked_for(campaign, actor)
    if campaign.state != State.IN_PROGRESS:
        raise ValidationError(
            _("Only a campaign in progress can be closed; this one is %(state)s.")
            % {"state": campaign.get_state_display()}
        )
    progress = selectors.campaign_progress(campaign)
    if progress.incomplete and not reason.strip():
        raise ValidationError(
            {
                "reason": [
                    _(
                        "%(unchecked)d of %(sampled)d items are not checked: say why the "
                        "campaign closes unfinished."
                    )
                    % {"unchecked": progress.unchecked, "sampled": progress.sampled}
                ]
            }
        )
    campaign.state = State.CLOSED
    campaign.closed_by = actor
    campaign.closed_at = at or timezone.now()
    campaign.close_reason = reason.strip() if progress.incomplete else ""
    campaign.save()
    return campaign


# Findings ---------------------------------------------------------------------------------------


def parse_value(field_code: str, text: str):
    """The value a correct-value text stands for, in the resident field's own type; raises
    ``ValidationError`` when it cannot be one (so a finding cannot hold an impossible value)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Give the correct value."))
    if field_code in NOT_CORRECTABLE:
        return text
    if field_code == "tags":
        names = [part.strip() for part in text.replace("、", ",").split(",") if part.strip()]
        tags = list(Tag.objects.filter(name__in=names)) + list(Tag.objects.filter(code__in=names))
        known = {t.name for t in tags} | {t.code for t in tags}
        if unknown := [n for n in names if n not in known]:
            raise ValidationError(_("Unknown tags: %(tags)s.") % {"tags": "、".join(unknown)})
        return {tag.pk: tag for tag in tags}.values()
    model_field = Resident._meta.get_field(field_code)
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


def _completeness(record) -> tuple[int, int]:
    present = sum(
        1
        for name in REQUIRED_FIELDS
        if getattr(record, Resident._meta.get_field(name).attname) not in (None, "")
    )
    return present, len(REQUIRED_FIELDS)


@transaction.atomic
def audit_item_record(
    *,
    item: AuditItem,
    actor: AbstractBaseUser,
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
    if campaign.state not in (State.DRAWN, State.IN_PROGRESS):
        raise ValidationError(
            _(
                "Findings can be recorded only while the campaign is drawn or in progress; "
                "it is %(state)s."
            )
            % {"state": campaign.get_state_display()}
        )
    if not selectors.may_check(actor, item):
        raise PermissionDenied(
            _("Only an auditor of this campaign who does not maintain this grid may check it.")
        )
    if AuditCorrection.objects.filter(finding__item=item).exists():
        raise ValidationError(
            _("A correction was made from these findings; they stay as they are.")
        )
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
    if campaign.state == State.DRAWN:
        campaign.state = State.IN_PROGRESS
        campaign.save(update_fields=["state"])
    return item


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
    actor: AbstractBaseUser,
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
    item.fields_present, item.fields_required = _completeness(item.pinned_record)
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
    actor: AbstractBaseUser,
    findings: list[ItemFinding],
    at: dt.datetime | None = None,
) -> None:
    """Record the findings of many items of ``campaign`` at once, checked exactly as
    ``audit_item_record`` checks one (state, who may check which grid, no correction made,
    every mark valid), in a few queries: the demo city records a month's audit of the whole
    city this way (one by one took 80 ms an item). Any error writes nothing.
    """
    campaign = AuditCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state not in (State.DRAWN, State.IN_PROGRESS):
        raise ValidationError(
            _(
                "Findings can be recorded only while the campaign is drawn or in progress; "
                "it is %(state)s."
            )
            % {"state": campaign.get_state_display()}
        )
    pks = [finding.item.pk for finding in findings]
    items = (
        AuditItem.objects.select_for_update(of=("self",))
        .select_related("stratum", "pinned_record")
        .filter(campaign=campaign)
        .in_bulk(pks)
    )
    if len(items) != len(set(pks)):
        raise PermissionDenied(_("An item does not belong to this campaign."))
    grid_ids = {item.stratum.grid_id for item in items.values()}
    may = (
        actor.is_active
        and actor.has_perm("audits.change_audititem")
        and campaign.auditors.filter(pk=actor.pk).exists()
        and not selectors.maintained_grids(actor, grid_ids).exists()
    )
    if not may:
        raise PermissionDenied(
            _("Only an auditor of this campaign who does not maintain this grid may check it.")
        )
    if AuditCorrection.objects.filter(finding__item__in=pks).exists():
        raise ValidationError(
            _("A correction was made from these findings; they stay as they are.")
        )
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
    written = [
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
    for item in items.values():
        AuditItem.objects.filter(pk=item.pk).update(**{f: getattr(item, f) for f in written})
    if campaign.state == State.DRAWN and findings:
        campaign.state = State.IN_PROGRESS
        campaign.save(update_fields=["state"])


# Corrections ------------------------------------------------------------------------------------


@transaction.atomic
def audit_correction_apply(
    *, finding: AuditFieldFinding, actor: AbstractBaseUser
) -> AuditCorrection:
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
    if campaign.state == State.CANCELLED:
        raise ValidationError(_("The campaign was cancelled; its findings are not applied."))
    if finding.mark != Mark.WRONG:
        raise ValidationError(_("Only a field found wrong can be corrected."))
    if AuditCorrection.objects.filter(finding=finding).exists():
        raise ValidationError(_("This correction was made already."))
    if finding.field in NOT_CORRECTABLE:
        raise ValidationError(
            _("Choose the household on the resident's file; it cannot be set from text.")
        )
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
    services.resident_save(
        resident=resident, actor=actor, tags=tags, reason=correction_reason(campaign)
    )
    after = resident.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return AuditCorrection.objects.create(
        finding=finding, applied_by=actor, record_id=after if after != before else None
    )
