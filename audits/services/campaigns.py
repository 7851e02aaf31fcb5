"""Campaigns: planning a draft, and cancelling or closing a campaign. The draw is
``audits.services.draw``."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.models import Community, Grid, Street
from audits import selectors
from audits.models import AUDITABLE_FIELDS, AuditCampaign
from audits.selectors import Step
from audits.stats import lqas_rule, lqas_smallest_n

State = AuditCampaign.State
Plan = AuditCampaign.Plan
AUDITABLE_CODES = [code for code, _label in AUDITABLE_FIELDS]


def scope_grid_ids(
    *,
    whole_city: bool,
    streets: Iterable[Street],
    communities: Iterable[Community],
    grids: Iterable[Grid],
) -> list[int]:
    """The grids a campaign's chosen scope covers, ascending."""
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


def check_auditors(auditors: Iterable[Actor], grid_ids: list[int]) -> None:
    """Each auditor holds the role and maintains no grid of the scope."""
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
    actor: Actor,
    streets: Iterable[Street] = (),
    communities: Iterable[Community] = (),
    grids: Iterable[Grid] = (),
    auditors: Iterable[Actor] = (),
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
        if not selectors.campaign_allows(stored, Step.EDIT):
            raise ValidationError(
                _("Only a draft campaign can be changed; this one is %(state)s.")
                % {"state": stored.get_state_display()}
            )
    grid_ids = scope_grid_ids(
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
    check_auditors(auditors, grid_ids)
    return grid_ids


@transaction.atomic
def audit_campaign_save(
    *,
    campaign: AuditCampaign,
    actor: Actor,
    streets: Iterable[Street] = (),
    communities: Iterable[Community] = (),
    grids: Iterable[Grid] = (),
    auditors: Iterable[Actor] = (),
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


def campaign_locked_for(campaign: AuditCampaign, actor: Actor) -> AuditCampaign:
    """``campaign`` as stored, locked for this transaction, if ``actor`` manages it."""
    stored = AuditCampaign.objects.select_for_update().get(pk=campaign.pk)
    if not selectors.may_manage_campaign(actor, stored):
        raise PermissionDenied(_("You may not manage this campaign."))
    return stored


@transaction.atomic
def audit_campaign_cancel(*, campaign: AuditCampaign, actor: Actor, reason: str) -> AuditCampaign:
    """Cancel a campaign that is not closed; its draw and findings stay, visible."""
    campaign = campaign_locked_for(campaign, actor)
    if not selectors.campaign_allows(campaign, Step.CANCEL):
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
    actor: Actor,
    reason: str = "",
    at: dt.datetime | None = None,
) -> AuditCampaign:
    """Close a campaign in progress: its findings, and so its results, are final. ``at``
    dates the close (None: now; see ``audit_campaign_draw``).

    A campaign with items left unchecked closes only with a reason: its figures rest on the
    items checked, and whoever reads them later (the results, the officials' dashboard) is
    told it was incomplete and why.
    """
    campaign = campaign_locked_for(campaign, actor)
    if not selectors.campaign_allows(campaign, Step.CLOSE):
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
