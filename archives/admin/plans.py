"""The building plan: a building's floors × units drawn as squares, one per household, coloured
by status and marked with its residents' tags, each opening the household. A grid's plan draws
each of its buildings the same way. This is how grid members find a household at the door."""

from django.contrib import admin
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from archives import selectors
from archives.admin.base import ModelAdminMixinBase
from archives.models import Building, Household


class PlanAdminMixin(ModelAdminMixinBase):
    """Adds ``<object_id>/plan/`` (named ``<app>_<model>_plan``) and a list column linking
    to it. Subclasses say which buildings an object's plan draws."""

    def plan_buildings(self, obj) -> QuerySet[Building]:
        raise NotImplementedError

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_plan"
        plan = path("<path:object_id>/plan/", self.admin_site.admin_view(self.plan_view), name=name)
        return [plan, *super().get_urls()]

    def plan_view(self, request, object_id):
        obj = self._viewable(request, object_id)  # a 404 outside the user's scope
        plans = selectors.building_plans(request.user, self.plan_buildings(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Plan of %(name)s") % {"name": obj},
            "opts": self.opts,
            "object": obj,
            "plans": plans,
            "household_url": reverse("admin:archives_household_change", args=[0]),
            "statuses": Household.Status.choices,
            "show_building_links": len(plans) > 1 or self.model is not Building,
        }
        return TemplateResponse(request, "admin/archives/plan.html", context)

    @admin.display(description=_("plan"))
    def plan_link(self, obj) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_plan", args=[obj.pk])
        return format_html('<a href="{}" class="plan-link">{}</a>', url, _("plan"))
