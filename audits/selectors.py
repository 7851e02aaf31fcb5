"""Reads for audits: who may see, check and correct what (built only from ``archives.scope``,
which stays the one place that decides scope), and the results figures.

Access, in short:

- a campaign is seen by its auditors, and by holders of ``audits.view_auditcampaign`` whose
  grants cover every grid of its scope (administrators see all);
- it is managed (edited while a draft, drawn, cancelled, closed) by holders of
  ``audits.change_auditcampaign`` whose grants cover its whole scope;
- an item is seen by the campaign's auditors (only the sampled residents, never the archive),
  and by holders of ``audits.view_audititem`` who may see the resident in the archive;
- an item is checked only by an auditor of its campaign who does not maintain its grid (is
  not a member of it and may not change its residents): segregation of duties;
- a wrong field is corrected by whoever ``scope`` lets change the resident;
- sample secrecy: until a drawn campaign's check is finished (closed or cancelled), nobody who
  keeps one of its grids (grid members, community and street staff) sees the campaign or its
  items, so that nobody can visit or coach the drawn households first. Its auditors, audit
  staff, city-wide officials and administrators still do.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.models import Grid, Resident
from audits.models import AuditCampaign, AuditFieldFinding, AuditItem, AuditStratum
from audits.stats import Rate

#: The verification factor is flagged outside this range.
VERIFICATION_RANGE = (0.90, 1.10)

_CampaignGrid = AuditCampaign.grids.through
_CampaignAuditor = AuditCampaign.auditors.through
_StratumMember = AuditStratum.members.through
State = AuditCampaign.State


# Who may do what --------------------------------------------------------------------------------


def _covers_whole_scope(user: scope.User) -> Q:
    """Campaigns with no grid outside the user's granted grids."""
    outside = _CampaignGrid.objects.filter(auditcampaign_id=OuterRef("pk")).exclude(
        grid_id__in=scope.granted_grids(user).values("pk")
    )
    return ~Q(Exists(outside))


#: A drawn campaign whose check is not finished: its auditors record findings and see its
#: items on their lists, and its sample is kept from the audited grids.
CHECK_UNDER_WAY = (State.DRAWN, State.IN_PROGRESS)


class Step(enum.Enum):
    """What can be done with a campaign; which states allow each is ``campaign_allows``."""

    EDIT = "edit"  # change the draft
    DRAW = "draw"
    RECORD = "record"  # record, or re-record, findings
    CLOSE = "close"
    CANCEL = "cancel"
    CORRECT = "correct"  # write a field found wrong back to the resident's file


_ALLOWED_IN: dict[Step, tuple[str, ...]] = {
    Step.EDIT: (State.DRAFT,),
    Step.DRAW: (State.DRAFT,),
    Step.RECORD: CHECK_UNDER_WAY,
    Step.CLOSE: (State.IN_PROGRESS,),
    Step.CANCEL: tuple(s for s in State if s not in (State.CLOSED, State.CANCELLED)),
    Step.CORRECT: tuple(s for s in State if s != State.CANCELLED),
}


def campaign_allows(campaign: AuditCampaign, step: Step) -> bool:
    """Whether ``campaign``'s state lets ``step`` be taken now (who may take it is asked
    apart). The services' guards and the admin's buttons both ask this; neither decides it."""
    return campaign.state in _ALLOWED_IN[step]


def _sample_secret_from(user: scope.User) -> bool:
    """Whether sample secrecy applies to ``user`` at all: audit staff (who run campaigns) and
    administrators are exempt; a campaign's own auditors are exempted campaign by campaign."""
    return not (user.is_superuser or user.has_perm("audits.change_auditcampaign"))


def _secret_campaigns(user: Actor, campaign_ref: str = "pk") -> Q:
    """Campaigns (reached through ``campaign_ref``) whose sample ``user`` may not learn yet:
    drawn, not finished, over a grid they keep, and not audited by them."""
    kept = _CampaignGrid.objects.filter(
        auditcampaign_id=OuterRef(campaign_ref),
        grid_id__in=scope.kept_grids(user).values("pk"),
    )
    auditing = _CampaignAuditor.objects.filter(auditcampaign_id=OuterRef(campaign_ref), user=user)
    state = "state" if campaign_ref == "pk" else "campaign__state"
    return Q(**{f"{state}__in": CHECK_UNDER_WAY}) & Q(Exists(kept)) & ~Q(Exists(auditing))


def campaigns_visible_to(user: scope.User) -> QuerySet[AuditCampaign]:
    campaigns = AuditCampaign.objects.all()
    if not user.is_active:
        return campaigns.none()
    if user.is_superuser:
        return campaigns
    visible = Q(Exists(_CampaignAuditor.objects.filter(auditcampaign_id=OuterRef("pk"), user=user)))
    if user.has_perm("audits.view_auditcampaign"):
        visible |= _covers_whole_scope(user) & Q(
            Exists(_CampaignGrid.objects.filter(auditcampaign_id=OuterRef("pk")))
        )
    campaigns = campaigns.filter(visible)
    if _sample_secret_from(user):
        campaigns = campaigns.exclude(_secret_campaigns(user))
    return campaigns


def may_manage_campaign(user: scope.User, campaign: AuditCampaign) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm("audits.change_auditcampaign"):
        return False
    return AuditCampaign.objects.filter(_covers_whole_scope(user), pk=campaign.pk).exists()


@dataclass(frozen=True)
class CampaignActions:
    """What a user may do with a campaign now: its state allows it and they manage it."""

    draw: bool
    close: bool
    cancel: bool


def campaign_actions(user: scope.User, campaign: AuditCampaign) -> CampaignActions:
    """The steps of managing ``campaign`` that ``user`` may take now (the admin's buttons)."""
    manages = may_manage_campaign(user, campaign)
    return CampaignActions(
        draw=manages and campaign_allows(campaign, Step.DRAW),
        close=manages and campaign_allows(campaign, Step.CLOSE),
        cancel=manages and campaign_allows(campaign, Step.CANCEL),
    )


def may_edit_campaign(user: scope.User, campaign: AuditCampaign) -> bool:
    """Whether ``user`` may change ``campaign`` now (a draft, managed by them); the state is
    asked first, so that a drawn campaign costs no query."""
    return campaign_allows(campaign, Step.EDIT) and may_manage_campaign(user, campaign)


def maintained_grids(user: scope.User, grid_ids: Iterable[int]) -> QuerySet[Grid]:
    """The grids among ``grid_ids`` that ``user`` maintains: member of, or may change residents
    in. An auditor may not audit them."""
    grids = Grid.objects.filter(pk__in=list(grid_ids))
    writable = scope.writable(grids, user, for_model=Resident).values("pk")
    return grids.filter(Q(members=user) | Q(pk__in=writable)).distinct()


def auditors() -> QuerySet[AbstractUser]:
    """The active accounts whose role lets them check items (``audits.change_audititem``, as
    ``audits.services`` asks of every auditor named): who a campaign offers as auditors.
    Administrators are left out unless they hold that role too."""
    checks = Permission.objects.filter(
        content_type__app_label="audits", codename="change_audititem"
    )
    holders = get_user_model().objects.filter(
        Q(groups__permissions__in=checks) | Q(user_permissions__in=checks), is_active=True
    )
    return holders.distinct()


def items_visible_to(user: scope.User) -> QuerySet[AuditItem]:
    items = AuditItem.objects.all()
    if not user.is_active:
        return items.none()
    if user.is_superuser:
        return items
    visible = Q(pk__in=[])
    if user.has_perm("audits.view_audititem"):
        auditing = Exists(
            _CampaignAuditor.objects.filter(auditcampaign_id=OuterRef("campaign_id"), user=user)
        )
        visible = Q(auditing)
        in_archive = scope.restrict(Resident.objects.all(), user, scope.VIEW).values("pk")
        visible |= Q(resident__in=in_archive)
    items = items.filter(visible)
    if _sample_secret_from(user):
        items = items.exclude(_secret_campaigns(user, "campaign_id"))
    return items


def may_check_grids(user: scope.User, campaign: AuditCampaign, grid_ids: Iterable[int]) -> bool:
    """Whether ``user`` may record the findings of ``campaign``'s items in ``grid_ids`` (the
    campaign's state aside): an auditor of the campaign who maintains none of those grids."""
    if not user.is_active or not user.has_perm("audits.change_audititem"):
        return False
    if not campaign.auditors.filter(pk=user.pk).exists():
        return False
    return not maintained_grids(user, grid_ids).exists()


def may_check(user: scope.User, item: AuditItem) -> bool:
    """Whether ``user`` may record the finding of ``item`` (the campaign's state aside)."""
    return may_check_grids(user, item.campaign, [item.stratum.grid_id])


def may_record_findings(user: scope.User, item: AuditItem) -> bool:
    """Whether ``user`` may record the finding of ``item`` now, its campaign's state included."""
    return campaign_allows(item.campaign, Step.RECORD) and may_check(user, item)


def may_correct(user: scope.User, item: AuditItem) -> bool:
    """Whether ``user`` may change the file of ``item``'s resident (who may apply a
    correction; whether the finding can be corrected is ``correction_refusal``)."""
    return scope.may(user, scope.CHANGE, item.resident)


#: Fields a correction cannot write in one click: the household is a choice among households,
#: which the auditor's free text cannot name; the person with edit rights picks it on the file.
NOT_CORRECTABLE = {"household"}


def finding_needs_file(finding: AuditFieldFinding) -> bool:
    """A field found wrong that only the resident's file can put right (see
    ``NOT_CORRECTABLE``)."""
    return finding.mark == AuditFieldFinding.Mark.WRONG and finding.field in NOT_CORRECTABLE


def correction_refusal(finding: AuditFieldFinding) -> str | None:
    """Why ``finding`` cannot be written back to the resident's file by anyone, or None when
    it can (who may is ``may_correct``). The correction service raises it; the item page
    offers the button only where it is None."""
    if not campaign_allows(finding.item.campaign, Step.CORRECT):
        return _("The campaign was cancelled; its findings are not applied.")
    if finding.mark != AuditFieldFinding.Mark.WRONG:
        return _("Only a field found wrong can be corrected.")
    if hasattr(finding, "correction"):
        return _("This correction was made already.")
    if finding_needs_file(finding):
        return _("Choose the household on the resident's file; it cannot be set from text.")
    return None


# Progress ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How many of a campaign's sampled items have been checked."""

    checked: int
    sampled: int

    @property
    def unchecked(self) -> int:
        return self.sampled - self.checked

    @property
    def incomplete(self) -> bool:
        return self.checked < self.sampled


def campaign_progress(campaign: AuditCampaign) -> Progress:
    """Checked and sampled items of ``campaign``. One query."""
    counts = AuditItem.objects.filter(campaign=campaign).aggregate(
        sampled=Count("pk"), checked=Count("pk", filter=Q(checked_at__isnull=False))
    )
    return Progress(checked=counts["checked"], sampled=counts["sampled"])


def incomplete_closed_campaigns(months: list, grid_ids: Iterable[int] | QuerySet) -> list:
    """Closed campaigns of ``months`` (first days) over any of ``grid_ids`` (IDs, or a query
    of grids) that closed with items unchecked, oldest first, each annotated with
    ``checked_count`` and ``sampled_count``: their figures rest on part of the sample. One
    query."""
    grids = grid_ids if isinstance(grid_ids, QuerySet) else list(grid_ids)
    campaigns = (
        AuditCampaign.objects.filter(
            state=AuditCampaign.State.CLOSED,
            period__in=months,
            strata__grid__in=grids,
        )
        .distinct()
        .annotate(
            sampled_count=Count("items", distinct=True),
            checked_count=Count("items", filter=Q(items__checked_at__isnull=False), distinct=True),
        )
        .filter(checked_count__lt=F("sampled_count"))
        .order_by("period", "pk")
    )
    return list(campaigns)


# Figures ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Counts of one group of audited items (a grid, a grid member, a campaign, a month).

    Counts add up, so figures of a grid over several campaigns are sums. Every rate is None
    when nothing was counted: "no audit" is not 0%.
    """

    sampled: int = 0
    checked: int = 0
    found: int = 0
    records_correct: int = 0
    records_decided: int = 0
    fields_correct: int = 0
    fields_wrong: int = 0
    fields_present: int = 0
    fields_required: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    #: LQAS decisions of the strata in this group: "pass", "fail" or "pending".
    lqas: list[str] = field(default_factory=list)

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            if name != "lqas":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lqas += other.lqas

    @property
    def verification_factor(self) -> float | None:
        """Residents confirmed at their household ÷ residents checked.

        Checked rather than sampled, so that an unfinished campaign is not read as residents
        missing. A sample can only confirm up to all of its residents, so here the flag
        comes from the low side (< 0.90); the upper bound is kept for figures that
        compare counts the other way.
        """
        return self.found / self.checked if self.checked else None

    @property
    def verification_flagged(self) -> bool:
        factor = self.verification_factor
        low, high = VERIFICATION_RANGE
        return factor is not None and not low <= factor <= high

    @property
    def record_accuracy(self) -> Rate:
        return Rate(self.records_correct, self.records_decided)

    @property
    def field_accuracy(self) -> Rate:
        return Rate(self.fields_correct, self.fields_correct + self.fields_wrong)

    @property
    def completeness(self) -> Rate:
        return Rate(self.fields_present, self.fields_required)

    @property
    def satisfaction(self) -> float | None:
        return self.satisfaction_sum / self.satisfaction_count if self.satisfaction_count else None

    @property
    def lqas_summary(self) -> str | None:
        """ "pass"/"fail"/"pending" for one stratum; for several, "N/M pass"."""
        if not self.lqas:
            return None
        if len(self.lqas) == 1:
            return self.lqas[0]
        return f"{self.lqas.count('pass')}/{len(self.lqas)} pass"


def _figures_by_stratum(items: QuerySet[AuditItem]) -> dict[int, Figures]:
    checked = Q(checked_at__isnull=False)
    rows = items.values("stratum_id").annotate(
        sampled=Count("pk"),
        checked=Count("pk", filter=checked),
        found=Count("pk", filter=Q(found=True)),
        records_correct=Count("pk", filter=Q(verdict=AuditItem.Verdict.CORRECT)),
        records_decided=Count(
            "pk",
            filter=Q(verdict__in=[AuditItem.Verdict.CORRECT, AuditItem.Verdict.INCORRECT]),
        ),
        fields_correct=Sum("fields_correct", default=0),
        fields_wrong=Sum("fields_wrong", default=0),
        fields_present=Sum("fields_present", filter=checked, default=0),
        fields_required=Sum("fields_required", filter=checked, default=0),
        satisfaction_sum=Sum("satisfaction", default=0),
        satisfaction_count=Count("satisfaction"),
    )
    return {row.pop("stratum_id"): Figures(**row) for row in rows}


def _lqas_decision(stratum: AuditStratum, figures: Figures) -> str | None:
    if stratum.lqas_correct_to_pass is None:
        return None
    d = stratum.lqas_correct_to_pass
    undecided = stratum.drawn - figures.records_decided
    if figures.records_correct >= d:
        return "pass"
    if figures.records_correct + undecided < d:
        return "fail"  # even if every remaining record were correct
    return "pending"


class GridResult(NamedTuple):
    grid: Grid
    stratum: AuditStratum
    figures: Figures


class MemberResult(NamedTuple):
    """A grid member as at draw time, with the figures of the grids they kept then."""

    member: Actor
    figures: Figures


@dataclass
class CampaignResults:
    campaign: AuditCampaign
    total: Figures
    grids: list[GridResult]
    members: list[MemberResult]

    @property
    def final(self) -> bool:
        """Whether these results can no longer change: a closed campaign's findings cannot."""
        return self.campaign.state == State.CLOSED


def campaign_results(campaign: AuditCampaign) -> CampaignResults:
    """Figures per grid, per grid member (as at draw time) and for the whole campaign.

    A fixed number of queries whatever the size. Findings of a closed campaign cannot change
    (``audits.services``), nor can the strata and members drawn, so neither can its results.
    """
    by_stratum = _figures_by_stratum(AuditItem.objects.filter(campaign=campaign))
    strata = list(campaign.strata.select_related("grid").order_by("grid__code"))
    members_of: dict[int, list[Actor]] = {}
    links = _StratumMember.objects.filter(auditstratum__campaign=campaign).select_related("user")
    for link in links:
        members_of.setdefault(link.auditstratum_id, []).append(link.user)
    total = Figures()
    grids = []
    member_figures: dict[int, MemberResult] = {}
    for stratum in strata:
        figures = by_stratum.get(stratum.pk, Figures())
        if (decision := _lqas_decision(stratum, figures)) is not None:
            figures.lqas = [decision]
        grids.append(GridResult(stratum.grid, stratum, figures))
        total.add(figures)
        for user in members_of.get(stratum.pk, []):
            member_figures.setdefault(user.pk, MemberResult(user, Figures())).figures.add(figures)
    members = sorted(member_figures.values(), key=lambda result: result.member.get_username())
    return CampaignResults(campaign=campaign, total=total, grids=grids, members=members)


def grid_audit_figures(month, grids) -> dict[int, Figures]:
    """Audit figures per grid for the monthly report: every closed campaign of ``month``
    (a date in it) over ``grids`` (grids or grid IDs, a queryset or a list).

    Only closed campaigns count: their figures are final, so a published report built on them
    stays true. A grid without a closed audit that month is absent from the answer ("no
    audit"), never zeros. Three queries whatever the number of grids.
    """
    period = month.replace(day=1)
    strata = AuditStratum.objects.filter(
        campaign__period=period, campaign__state=AuditCampaign.State.CLOSED, grid__in=grids
    )
    by_stratum = _figures_by_stratum(AuditItem.objects.filter(stratum__in=strata))
    result: dict[int, Figures] = {}
    for stratum in strata.only("pk", "grid_id", "drawn", "lqas_correct_to_pass"):
        figures = by_stratum.get(stratum.pk, Figures())
        if (decision := _lqas_decision(stratum, figures)) is not None:
            figures.lqas = [decision]
        result.setdefault(stratum.grid_id, Figures()).add(figures)
    return result


# Dashboard --------------------------------------------------------------------------------------


def open_items_for(user: Actor) -> QuerySet[AuditItem]:
    """Items still to check in the open campaigns ``user`` audits, in the campaign's order;
    each with its campaign, grid and the file version drawn (for the name)."""
    items = AuditItem.objects.filter(
        campaign__auditors=user, campaign__state__in=CHECK_UNDER_WAY, checked_at__isnull=True
    )
    return items.select_related("campaign", "stratum__grid", "pinned_record").order_by(
        "campaign__period", "campaign_id", "pk"
    )


class OpenCampaign(NamedTuple):
    campaign: AuditCampaign
    items_left: int


def open_item_counts(user: Actor) -> list[OpenCampaign]:
    """Each open campaign ``user`` audits, with its items left to check. One query."""
    campaigns = (
        AuditCampaign.objects.filter(auditors=user, state__in=CHECK_UNDER_WAY)
        .annotate(left=Count("items", filter=Q(items__checked_at__isnull=True)))
        .order_by("period", "pk")
    )
    return [OpenCampaign(campaign, campaign.left) for campaign in campaigns]


def record_accuracy_by_street(
    months: list, grid_streets: dict[int, int], *, grids: QuerySet | None = None
) -> dict[int, list[float | None]]:
    """{street ID: [share of audited files found entirely correct, per month of ``months``]}
    over the closed campaigns of each month, for the grids of ``grid_streets`` ({grid ID:
    street ID}); None for a month without a closed audit. Three queries a month.

    ``grids``: the same grids as a query, which the database reads as a subquery: a city's
    2,000 grid IDs written into each query cost 40 ms a month to build and plan."""
    trend: dict[int, list[float | None]] = {street: [] for street in set(grid_streets.values())}
    for month in months:
        per_street: dict[int, Figures] = {}
        in_grids = grids if grids is not None else list(grid_streets)
        for grid_id, figures in grid_audit_figures(month, in_grids).items():
            if (street := grid_streets.get(grid_id)) is not None:
                per_street.setdefault(street, Figures()).add(figures)
        for street, values in trend.items():
            street_figures = per_street.get(street)
            values.append(street_figures.record_accuracy.value if street_figures else None)
    return trend
