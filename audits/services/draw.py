"""The draw: which residents a campaign checks, written once, and its verification by re-running
it from what was stored."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from archives.models import Grid, Resident
from audits import sampling, selectors
from audits.models import AuditCampaign, AuditItem, AuditStratum
from audits.selectors import Step
from audits.services.campaigns import campaign_locked_for, check_auditors, scope_grid_ids
from audits.stats import lqas_rule

Plan = AuditCampaign.Plan
HistoricalResident = Resident.history.model


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

    No ``ORDER BY random()``: the sampling happens in Python. PostgreSQL groups the IDs per grid
    itself (one array per grid, about 2,000 rows for a million residents, instead of a million
    tuples for Python to group); other databases send the pairs and Python groups them.
    """
    residents = Resident.objects.filter(residency_status__in=Resident.ACTIVE_STATUSES)
    if not whole_city:
        residents = residents.filter(household__building__grid__in=grid_ids)
    residents = residents.order_by()  # the model's ordering would join GROUP BY
    if connection.vendor == "postgresql":
        strata = residents.values_list("household__building__grid_id").annotate(
            ids=ArrayAgg("pk", order_by="pk")
        )
        return dict(strata.values_list("household__building__grid_id", "ids"))
    pairs = residents.order_by("pk").values_list("pk", "household__building__grid_id")
    return sampling.group(pairs)


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
    if connection.vendor == "postgresql":
        _items_insert_pinned(campaign, drawn)
        return
    AuditItem.objects.bulk_create(
        [
            AuditItem(campaign=campaign, stratum_id=stratum_id, resident_id=resident_id)
            for stratum_id, resident_id in drawn
        ],
        batch_size=5000,
    )
    latest = HistoricalResident.objects.filter(id=OuterRef("resident_id")).order_by(
        "-history_date", "-history_id"
    )
    AuditItem.objects.filter(campaign=campaign).update(  # history: items are not historied
        pinned_record=Subquery(latest.values("history_id")[:1])
    )


def _items_insert_pinned(campaign: AuditCampaign, drawn: list[tuple[int, int]]) -> None:
    """PostgreSQL: the items and their pins in one statement, from two arrays.

    At 38,000 items (19 from each of 2,000 grids) building model instances, sending them in
    batches and then updating every row with its pin took most of the draw's time. The other
    columns get their model defaults, taken from the model so that a new field cannot be missed.
    """
    quote = connection.ops.quote_name
    given = {"campaign", "stratum", "resident", "pinned_record"}
    defaults = [f for f in AuditItem._meta.concrete_fields if not f.primary_key]
    defaults = [f for f in defaults if f.name not in given]
    columns = ["campaign_id", "stratum_id", "resident_id", "pinned_record_id"]
    columns += [f.column for f in defaults]
    history = HistoricalResident._meta.db_table
    sql = f"""
        INSERT INTO {quote(AuditItem._meta.db_table)} ({", ".join(map(quote, columns))})
        SELECT %s, drawn.stratum_id, drawn.resident_id,
               (SELECT pin.history_id FROM {quote(history)} pin
                 WHERE pin.id = drawn.resident_id
                 ORDER BY pin.history_date DESC, pin.history_id DESC LIMIT 1)
               {"".join(", %s" for _ in defaults)}
          FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY
               AS drawn(stratum_id, resident_id, position)
         ORDER BY drawn.position
    """
    params = [
        campaign.pk,
        *(f.get_db_prep_save(f.get_default(), connection) for f in defaults),
        [stratum_id for stratum_id, _ in drawn],
        [resident_id for _, resident_id in drawn],
    ]
    with connection.cursor() as cursor:  # history: audit items are not historied; pins read it
        cursor.execute(sql, params)


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
        if drawn == len(ids):
            # The whole grid was checked: no sampling error to guard against, so it passes
            # when the benchmark share of it is correct (integer arithmetic: no 16.000001).
            correct_to_pass = -(-campaign.lqas_benchmark * drawn // 100)
        else:
            rule = lqas_rule(drawn, campaign.lqas_benchmark / 100)
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
