"""The household admin and its page, where a clerk works: its residents (masked as
everywhere), its latest visits, buttons to log a visit or add a resident here, to verify its
residents, and its printable register (an HTML print view and a PDF). Full ID numbers shown on
any of them are logged as sensitive reads."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from accounts.names import person_name
from archives import scope, selectors, services
from archives.admin.base import (
    ModelAdminMixinBase,
    ScopedArchiveAdmin,
    actor_of,
    list_count_known,
)
from archives.admin.exports import ArchiveExportMixin
from archives.admin.filters import org_filters
from archives.admin.imports import HOUSEHOLDS, ImportMixin
from archives.admin.task_filters import VisitsDueFilter, visits_reason
from archives.admin.verify import verified_message
from archives.household_pdf import household_register_pdf
from archives.models import Grid, Household, Resident, SensitiveAccess
from archives.resources import HouseholdResource


class HouseholdPageMixin(ModelAdminMixinBase):
    """For ``HouseholdAdmin``: the page's sections, the register views and verification."""

    change_form_template = "admin/archives/household/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/register/", view(self.register_view), name=f"{prefix}_register"),
            path(
                "<path:object_id>/register.pdf",
                view(self.register_pdf_view),
                name=f"{prefix}_register_pdf",
            ),
            path("<path:object_id>/verify/", view(self.verify_view), name=f"{prefix}_verify"),
            *super().get_urls(),
        ]

    def _register(self, request, household: Household, view: str) -> selectors.HouseholdRegister:
        register = selectors.household_register(request.user, household)
        services.sensitive_reads_record(
            user=actor_of(request), shown=register.full_id_numbers_shown(), view=view
        )
        return register

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            register = self._register(request, obj, SensitiveAccess.View.HOUSEHOLD)
            query = f"?household={obj.pk}"
            context.update(
                register=register,
                may_verify=any(
                    self._may_change_resident(request, row.resident) for row in register.active
                ),
                may_add_here=request.user.has_perm("archives.add_resident")
                and scope.may_place(request.user, scope.ADD, Resident(household=obj)),
                may_log_visit=request.user.has_perm("archives.add_visit")
                and self.has_change_permission(request, obj),
                visit_add_url=reverse("admin:archives_visit_add") + query,
                resident_add_url=reverse("admin:archives_resident_add") + query,
                visits_url=reverse("admin:archives_visit_changelist")
                + f"?household__id__exact={obj.pk}",
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _may_change_resident(request, resident: Resident) -> bool:
        return request.user.has_perm("archives.change_resident", resident)

    def register_view(self, request, object_id):
        household = self._viewable(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Household register: %(household)s") % {"household": household},
            "opts": self.opts,
            "object": household,
            "register": self._register(request, household, SensitiveAccess.View.REGISTER),
            "printed_by": person_name(request.user),
        }
        return TemplateResponse(request, "admin/archives/household/register.html", context)

    def register_pdf_view(self, request, object_id):
        household = self._viewable(request, object_id)
        register = self._register(request, household, SensitiveAccess.View.REGISTER)
        content = household_register_pdf(register, printed_by=request.user)
        response = HttpResponse(content, content_type="application/pdf")
        name = f"household-{household.pk}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def verify_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        household = self._viewable(request, object_id)
        chosen = request.POST.getlist("resident")
        residents = list(
            scope.restrict(
                Resident.objects.filter(
                    household=household, pk__in=[c for c in chosen if c.isdigit()]
                ),
                request.user,
                scope.CHANGE,
            )
        )
        back = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[household.pk]
        )
        if not residents:
            messages.warning(request, _("Tick the residents whose files you confirmed."))
            return HttpResponseRedirect(back)
        try:
            rows = services.resident_verify(residents=residents, actor=actor_of(request))
        except PermissionDenied as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, verified_message(rows))
        return HttpResponseRedirect(back)


class HouseholdChangeList(ChangeList):
    """Counted from the tags kept on households when nothing narrows the list and all the
    reader sees is the households of a whole-city department's served residents
    (``scope.served_tags_only``): 137,000 households of a million residents counted through
    the households table took 140 ms, from the kept tags 30 ms."""

    def get_results(self, request):
        if not self.query and not self.has_active_filters:
            served = scope.served_tags_only(request.user)
            if served is not None:
                list_count_known(request, scope.household_tags_count(served))
        super().get_results(request)


@admin.register(Household)
class HouseholdAdmin(HouseholdPageMixin, ImportMixin, ArchiveExportMixin, ScopedArchiveAdmin):
    importer = HOUSEHOLDS
    resource_classes = [HouseholdResource]
    list_display = ["__str__", "status", "grid"]
    list_filter = ["status", VisitsDueFilter, *org_filters("building__grid")]
    search_fields = ["building__address", "=room"]
    autocomplete_fields = ["building"]

    def get_changelist(self, request, **kwargs):
        return HouseholdChangeList

    def get_queryset(self, request):
        # Its name includes the building's address, also in autocomplete results. (A queryset
        # that already selects related rows makes the changelist skip list_select_related.)
        return super().get_queryset(request).select_related("building__grid")

    @admin.display(description=_("grid"), ordering="building__grid__name")
    def grid(self, household: Household) -> Grid:
        return household.building.grid

    def get_list_display(self, request):
        # The dashboard's "all" link: each household says why it is still to visit.
        if VisitsDueFilter.active(request):
            return [*super().get_list_display(request), "why_to_visit"]
        return super().get_list_display(request)

    @admin.display(description=_("why"))
    def why_to_visit(self, household: Household) -> str:
        return visits_reason(household)

    def save_model(self, request, obj, form, change):
        services.household_save(
            household=obj, actor=actor_of(request), reason=self.change_reason(form)
        )
