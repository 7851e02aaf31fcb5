"""The campaign admin: a draft is a form; a drawn campaign is a read-only record with buttons
for verify, cancel, close and the results. Every write goes through ``audits.services``."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import person_name
from accounts.types import Actor
from archives import scope
from archives.admin.base import DeclaredLookupsOnly, actor_of
from archives.models import Community, Grid, Street
from audits import selectors, services
from audits.admin import display
from audits.jobs import DRAW_JOB, draw_refusal
from audits.models import AUDITABLE_FIELDS, AuditCampaign, default_audited_fields
from jobs.services import job_start


class CampaignForm(forms.ModelForm):
    audited_fields = forms.MultipleChoiceField(
        label=gettext_lazy("audited fields"),
        choices=AUDITABLE_FIELDS,
        widget=forms.CheckboxSelectMultiple,
    )
    auditors = forms.ModelMultipleChoiceField(
        label=gettext_lazy("auditors"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Nobody who keeps a grid in the scope may audit it."),
    )

    class Meta:
        model = AuditCampaign
        fields = [
            "name",
            "period",
            "whole_city",
            "streets",
            "communities",
            "chosen_grids",
            "plan",
            "per_grid",
            "share_percent",
            "lqas_benchmark",
            "audited_fields",
            "auditors",
        ]

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the units the person may see are offered; the service checks the scope again.
        # (A read-only page builds the form without these fields.)
        units: dict[str, type[Street] | type[Community] | type[Grid]] = {
            "streets": Street,
            "communities": Community,
            "chosen_grids": Grid,
        }
        for name, model in units.items():
            unit_field = self.fields.get(name)
            if isinstance(unit_field, forms.ModelChoiceField):
                unit_field.queryset = scope.restrict(model.objects.all(), user)
        if "audited_fields" in self.fields and self.instance.pk is None:
            # A new campaign starts with the usual fields ticked (the model's default).
            self.initial["audited_fields"] = default_audited_fields()
        auditors = self.fields.get("auditors")
        if isinstance(auditors, forms.ModelChoiceField):
            auditors.queryset = selectors.auditors().order_by("username")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.audit_campaign_validate(
                campaign=self.instance,
                actor=self.user,
                streets=data.get("streets") or [],
                communities=data.get("communities") or [],
                grids=data.get("chosen_grids") or [],
                auditors=data.get("auditors") or [],
            )
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(str(error))
            if hasattr(error, "error_dict"):
                for field_name, errors in error.error_dict.items():
                    target = field_name if field_name in self.fields else None
                    self.add_error(target, errors)
            else:
                self.add_error(None, error)
        return data


@admin.register(AuditCampaign)
class AuditCampaignAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    form = CampaignForm
    actions = None
    list_display = ["name", "month", "state", "plan", "sampled", "checked"]
    list_filter = ["state", "plan"]
    search_fields = ["name"]
    change_form_template = "admin/audits/auditcampaign/change_form.html"
    filter_horizontal = ["streets", "communities", "chosen_grids"]
    readonly_fields = [
        "state",
        "scope_shown",
        "auditors_shown",
        "draw_record",
        "strata_shown",
        "ending",
        "creator",
        "created_at",
    ]

    def get_queryset(self, request):
        return selectors.campaigns_visible_to(request.user).annotate(
            sampled_count=Count("items", distinct=True),
            checked_count=Count("items", filter=Q(items__checked_at__isnull=False), distinct=True),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class BoundForm(form):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=request.user, **form_kwargs)

        return BoundForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return CampaignForm.Meta.fields
        if self.has_change_permission(request, obj):
            return [*CampaignForm.Meta.fields, "state", "creator", "created_at"]
        return [
            "name",
            "period",
            "state",
            "scope_shown",
            "plan",
            "per_grid",
            "share_percent",
            "lqas_benchmark",
            "audited_fields_shown",
            "auditors_shown",
            "draw_record",
            "strata_shown",
            "ending",
            "creator",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        return self.readonly_fields

    # Who may do what -----------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        if obj is None:
            # Assigned auditors without the role's permission still see their campaigns.
            # (The login page asks this of anonymous visitors too.)
            user = request.user
            if super().has_view_permission(request):
                return True
            return (
                user.is_active
                and AuditCampaign.auditors.through.objects.filter(user_id=user.pk).exists()
            )
        return selectors.campaigns_visible_to(request.user).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return selectors.may_edit_campaign(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a campaign is cancelled, with a reason, and stays visible

    # Saving ----------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.audit_campaign_save(
            campaign=obj,
            actor=actor_of(request),
            streets=data.get("streets") or [],
            communities=data.get("communities") or [],
            grids=data.get("chosen_grids") or [],
            auditors=data.get("auditors") or [],
        )

    def save_related(self, request, form, formsets, change):
        pass  # the service set the many-to-many fields

    # Shown on the read-only page ---------------------------------------------------------------

    @admin.display(description=gettext_lazy("month"), ordering="period")
    def month(self, campaign):
        return f"{campaign.period:%Y-%m}"

    @admin.display(description=gettext_lazy("sampled"))
    def sampled(self, campaign):
        return campaign.sampled_count

    @admin.display(description=gettext_lazy("checked"))
    def checked(self, campaign):
        return campaign.checked_count

    @admin.display(description=gettext_lazy("scope"))
    def scope_shown(self, campaign):
        if campaign.whole_city:
            return _("the whole city")
        names = [
            *(str(s) for s in campaign.streets.all()),
            *(str(c) for c in campaign.communities.all()),
            *(str(g) for g in campaign.chosen_grids.all()),
        ]
        return "、".join(names)

    @admin.display(description=gettext_lazy("audited fields"))
    def audited_fields_shown(self, campaign):
        labels = dict(AUDITABLE_FIELDS)
        return "、".join(str(labels.get(code, code)) for code in campaign.audited_fields)

    @admin.display(description=gettext_lazy("created by"))
    def creator(self, campaign):
        return person_name(campaign.created_by)

    @admin.display(description=gettext_lazy("auditors"))
    def auditors_shown(self, campaign):
        return "、".join(person_name(u) for u in campaign.auditors.order_by("username"))

    @admin.display(description=gettext_lazy("draw"))
    def draw_record(self, campaign):
        if not campaign.is_drawn:
            return _("not drawn yet")
        rows = [
            (_("drawn at"), formats.localize(timezone.localtime(campaign.drawn_at))),
            (_("drawn by"), person_name(campaign.drawn_by)),
            (_("random seed"), campaign.seed),
            (_("algorithm version"), campaign.algorithm_version),
            (_("eligible residents"), campaign.population_size),
            (_("population SHA-256"), campaign.population_sha256),
        ]
        return format_html(
            "<table class='audit-draw'>{}</table>",
            format_html_join("", "<tr><th>{}</th><td><code>{}</code></td></tr>", rows),
        )

    @admin.display(description=gettext_lazy("grids"))
    def strata_shown(self, campaign):
        strata = campaign.strata.select_related("grid").order_by("grid__code")
        if not strata:
            return "—"
        rows = [
            (
                s.grid.name,
                s.population,
                s.planned,
                s.drawn,
                _("fewer residents than planned: all taken") if s.took_all else "",
            )
            for s in strata
        ]
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            _("grid"),
            _("eligible"),
            _("planned"),
            _("drawn"),
        )
        return format_html(
            "<table>{}{}</table>",
            header,
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
            ),
        )

    @admin.display(description=gettext_lazy("closed or cancelled"))
    def ending(self, campaign):
        if campaign.cancelled_at:
            return _("cancelled by %(user)s at %(when)s: %(reason)s") % {
                "user": person_name(campaign.cancelled_by),
                "when": formats.localize(timezone.localtime(campaign.cancelled_at)),
                "reason": campaign.cancel_reason,
            }
        if campaign.closed_at:
            closed = _("closed by %(user)s at %(when)s") % {
                "user": person_name(campaign.closed_by),
                "when": formats.localize(timezone.localtime(campaign.closed_at)),
            }
            progress = selectors.campaign_progress(campaign)
            if progress.incomplete:
                closed += f" · {_incomplete(progress)}: {campaign.close_reason}"
            return closed
        return "—"

    # The buttons ---------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = "audits_auditcampaign"
        return [
            path("<path:object_id>/results/", view(self.results_view), name=f"{prefix}_results"),
            path("<path:object_id>/verify/", view(self.verify_view), name=f"{prefix}_verify"),
            path("<path:object_id>/draw/", view(self.draw_view), name=f"{prefix}_draw"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name=f"{prefix}_cancel"),
            path("<path:object_id>/close/", view(self.close_view), name=f"{prefix}_close"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self._visible(request, object_id)
        actions = selectors.campaign_actions(request.user, campaign)
        context = {
            "may_draw": actions.draw,
            "may_close": actions.close,
            "may_cancel": actions.cancel,
            "is_drawn": campaign.is_drawn,
            "items_url": reverse("admin:audits_audititem_changelist") + f"?campaign={campaign.pk}",
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _visible(self, request, object_id) -> AuditCampaign:
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404(_("No such campaign in your area."))
        return campaign

    def _page(self, request, campaign, template: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": campaign,
                "campaign": campaign,
                **context,
            },
        )

    def _confirm(
        self, request, campaign, *, title: str, text: str, button: str, reason=False, warning=""
    ):
        return self._page(
            request,
            campaign,
            "admin/audits/auditcampaign/confirm.html",
            title=title,
            text=text,
            button=button,
            ask_reason=reason,
            warning=warning,
        )

    def _perform(self, request, campaign, action, done: str):
        try:
            action()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(
            reverse("admin:audits_auditcampaign_change", args=[campaign.pk])
        )

    def _perform_with_reason(self, request, campaign, service, done: str):
        """``service`` (close or cancel) with the reason the confirmation page asked for."""
        reason = request.POST.get("reason", "")
        return self._perform(
            request,
            campaign,
            lambda: service(campaign=campaign, actor=actor_of(request), reason=reason),
            done,
        )

    def draw_view(self, request, object_id):
        campaign = self._visible(request, object_id)
        if request.method != "POST":
            return self._confirm(
                request,
                campaign,
                title=_("Draw the sample of %(campaign)s") % {"campaign": campaign},
                text=_(
                    "The draw takes the active residents in scope now, uses fresh randomness "
                    "and is recorded for anyone to verify. It cannot be repeated."
                ),
                button=_("Draw now"),
            )
        # The draw runs as a job (a city-wide one reads every resident); what would refuse
        # it now is said at once, and the job asks the service again when it runs.
        actions = selectors.campaign_actions(request.user, campaign)
        if not actions.draw:
            if not selectors.may_manage_campaign(request.user, campaign):
                raise PermissionDenied(_("You may not manage this campaign."))
            messages.error(request, draw_refusal(campaign))
            return HttpResponseRedirect(
                reverse("admin:audits_auditcampaign_change", args=[campaign.pk])
            )
        job = job_start(
            kind=DRAW_JOB,
            user=actor_of(request),
            params={"campaign": campaign.pk},
            title=_("Draw the sample of %(campaign)s") % {"campaign": campaign},
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def close_view(self, request, object_id):
        campaign = self._visible(request, object_id)
        if request.method != "POST":
            progress = selectors.campaign_progress(campaign)
            warning = ""
            if progress.incomplete:
                warning = _(
                    "%(unchecked)d of %(sampled)d items are not checked yet. Closed now, the "
                    "campaign's figures rest on the %(checked)d checked and it is marked "
                    "incomplete wherever they are shown. Say why it closes unfinished."
                ) % {
                    "unchecked": progress.unchecked,
                    "sampled": progress.sampled,
                    "checked": progress.checked,
                }
            return self._confirm(
                request,
                campaign,
                title=_("Close %(campaign)s") % {"campaign": campaign},
                text=_("Findings and results of a closed campaign can no longer change."),
                button=_("Close the campaign"),
                reason=progress.incomplete,
                warning=warning,
            )
        return self._perform_with_reason(
            request,
            campaign,
            services.audit_campaign_close,
            _("The campaign is closed; its results are final."),
        )

    def cancel_view(self, request, object_id):
        campaign = self._visible(request, object_id)
        if request.method != "POST":
            return self._confirm(
                request,
                campaign,
                title=_("Cancel %(campaign)s") % {"campaign": campaign},
                text=_("A cancelled campaign stays visible with its draw and the reason."),
                button=_("Cancel the campaign"),
                reason=True,
            )
        return self._perform_with_reason(
            request, campaign, services.audit_campaign_cancel, _("The campaign is cancelled.")
        )

    def verify_view(self, request, object_id):
        campaign = self._visible(request, object_id)
        check = services.audit_campaign_verify_draw(campaign=campaign, actor=actor_of(request))
        return self._page(
            request,
            campaign,
            "admin/audits/auditcampaign/verify.html",
            title=_("Verify the draw of %(campaign)s") % {"campaign": campaign},
            check=check,
        )

    def results_view(self, request, object_id):
        campaign = self._visible(request, object_id)
        results = selectors.campaign_results(campaign)
        progress = selectors.campaign_progress(campaign)
        return self._page(
            request,
            campaign,
            "admin/audits/auditcampaign/results.html",
            title=_("Results of %(campaign)s") % {"campaign": campaign},
            sections=[
                (_("Campaign"), [_figures_row(_("whole campaign"), "", results.total)]),
                (
                    _("Per grid"),
                    [
                        _figures_row(row.grid.name, _row_note(row.stratum), row.figures)
                        for row in results.grids
                    ],
                ),
                (
                    _("Per grid member"),
                    [
                        _figures_row(person_name(row.member), "", row.figures)
                        for row in results.members
                    ],
                ),
            ],
            final=results.final,
            progress=progress,
            incomplete=_incomplete(progress) if progress.incomplete else "",
        )


def _incomplete(progress: selectors.Progress) -> str:
    return _("incomplete (%(checked)s of %(sampled)s checked)") % {
        "checked": progress.checked,
        "sampled": progress.sampled,
    }


def _row_note(stratum) -> str:
    if stratum.took_all:
        return _("all %(n)d taken (fewer than planned)") % {"n": stratum.drawn}
    return ""


def _figures_row(label: str, note: str, figures: selectors.Figures) -> dict:
    factor = figures.verification_factor
    return {
        "label": label,
        "note": note,
        "sampled": figures.sampled,
        "checked": figures.checked,
        "verification": display.percent(factor) if factor is not None else _("no data"),
        "verification_flagged": figures.verification_flagged,
        "record_accuracy": display.rate(figures.record_accuracy),
        "field_accuracy": display.rate(figures.field_accuracy),
        "completeness": display.rate(figures.completeness),
        "satisfaction": _("no data")
        if figures.satisfaction is None
        else f"{figures.satisfaction:.2f}",
        "lqas": display.lqas(figures.lqas_summary),
    }
