"""The draw: which residents a campaign checks, written once, and its verification by re-running
it from what was stored."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.models import Grid, Resident
from audits import sampling, selectors
from audits import sql as audit_sql
from audits.models import AuditCampaign, AuditItem, AuditStratum
from audits.selectors import Step
from audits.services.campaigns import campaign_locked_for, check_auditors, scope_grid_ids
from audits.stats import lqas_rule

Plan = AuditCampaign.Plan


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
        residents = residents.filter(grid__in=grid_ids)
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
    *, campaign: AuditCampaign, actor: Actor, at: dt.datetime | None = None
) -> AuditCampaign:
    """Draw the sample, once: the eligible residents (active, in scope, now), per grid the
    plan's number of them (all, when a grid has fewer; its stratum says so), each item pinned
    to the resident's latest history entry. The seed, the population and the algorithm
    version are stored so that ``audit_campaign_verify_draw`` can re-run it.

    ``at`` dates the draw (None: now); only the demo city's past passes it, drawing from the
    archive as its timeline stands on that day.
    """
    campaign = campaign_locked_for(campaign, actor)
    if not selectors.campaign_allows(campaign, Step.DRAW):
        raise ValidationError(
            _("This campaign was drawn already (%(state)s); a draw cannot be repeated.")
            % {"state": campaign.get_state_display()}
        )
    # The scope as it is now: a grid added under a chosen street since the draft counts.
    grid_ids = scope_grid_ids(
        whole_city=campaign.whole_city,
        streets=campaign.streets.all(),
        communities=campaign.communities.all(),
        grids=campaign.chosen_grids.all(),
    )
    check_auditors(campaign.auditors.all(), grid_ids)
    population = _eligible_population(grid_ids, campaign.whole_city)
    if not population:
        raise ValidationError(
            _("No active resident lives in this campaign's scope: nothing to draw.")
        )
    seed = sampling.new_seed()
    sizes = _stratum_sizes(campaign, population)
    sample = sampling.draw(population, sizes, seed)

    campaign.grids.set(grid_ids)
    strata = _strata_create(campaign, grid_ids, population, sizes)
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
    campaign.state = AuditCampaign.State.DRAWN
    campaign.save()
    return campaign


def _strata_create(
    campaign: AuditCampaign,
    grid_ids: list[int],
    population: dict[int, list[int]],
    sizes: dict[int, int],
) -> list[AuditStratum]:
    """A stratum per grid of the scope, with the grid's members as they are at the draw (the
    per-member figures follow them, not later changes)."""
    members: dict[int, list[int]] = {}
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
    return strata


def _stratum(campaign: AuditCampaign, grid_id: int, ids: list[int], planned: int) -> AuditStratum:
    drawn = min(planned, len(ids))
    correct_to_pass = None
    if campaign.plan == Plan.LQAS and drawn:
        benchmark = campaign.lqas_benchmark
        if benchmark is None:
            raise ValueError("An LQAS campaign has a benchmark (its plan is checked on saving)")
        if drawn == len(ids):
            # The whole grid was checked: no sampling error to guard against, so it passes
            # when the benchmark share of it is correct (integer arithmetic: no 16.000001).
            correct_to_pass = -(-benchmark * drawn // 100)
        else:
            rule = lqas_rule(drawn, benchmark / 100)
            correct_to_pass = rule.threshold if rule else None
    return AuditStratum(
        campaign=campaign,
        grid_id=grid_id,
        population=len(ids),
        planned=planned,
        drawn=drawn,
        lqas_correct_to_pass=correct_to_pass,
    )


@dataclass
class DrawVerification:
    ok: bool
    problems: list[str] = field(default_factory=list)


def audit_campaign_verify_draw(*, campaign: AuditCampaign, actor: Actor) -> DrawVerification:
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
    if campaign.population is None:
        raise ValueError("A drawn campaign stores its population (the draw writes it)")
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
