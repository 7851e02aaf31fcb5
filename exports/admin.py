"""Monthly reports in the admin: the report page (choose month and scope, download, publish,
correct), the list of published versions, and the download log.

Every path asks ``archives.scope`` through ``exports.selectors`` (and the services, which ask
again): a street official choosing another street's report gets 404, as for any object outside
their scope. The admin decides none of it itself.
"""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import person_name
from archives.admin.access import ReadOnlyLogAdmin
from archives.admin.base import DeclaredLookupsOnly, actor_of
from archives.models import Street
from archives.months import has_ended, last_month, month_text, parse_month
from exports import services, summary
from exports.figures import MonthFigures
from exports.jobs import CITY, REPORT_DOWNLOAD_JOB, REPORT_PUBLISH_JOB, report_job_params
from exports.models import MonthlyReport, ReportDownload
from exports.selectors import (
    default_report_street,
    may_publish_report,
    may_publish_reports,
    may_read_report,
    may_read_reports,
    month_figures,
    published_report,
    report_figures,
    reports_readable_by,
    reports_whole_city,
    streets_reported_to,
)
from jobs.services import job_start

#: How the job titles name a file's format.
FORMAT_NAMES = {"xlsx": "Excel", "pdf": "PDF"}


@admin.register(MonthlyReport)
class MonthlyReportAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = [
        "month_label",
        "scope_label",
        "version",
        "state",
        "published_by",
        "published_at",
        "correction_reason",
        "files",
    ]
    list_filter = ["state", ("street", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "month"
    list_select_related = ["street", "published_by"]
    readonly_fields = [f.name for f in MonthlyReport._meta.fields if f.name != "figures"]
    exclude = ["figures"]
    actions = ["correct_selected"]
    change_list_template = "admin/exports/monthlyreport/change_list.html"

    # Who sees what ---------------------------------------------------------------------------

    def get_queryset(self, request):
        return reports_readable_by(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return may_read_report(request.user, obj.street)
        return may_read_reports(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False  # published through the report page, the action or the command

    def has_change_permission(self, request, obj=None):
        return False  # a published report never changes

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request) -> bool:
        return may_publish_reports(request.user)

    # Columns ---------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("month"), ordering="month")
    def month_label(self, report: MonthlyReport) -> str:
        return f"{report.month:%Y-%m}"

    @admin.display(description=gettext_lazy("scope"))
    def scope_label(self, report: MonthlyReport) -> str:
        return report.street.name if report.street_id else _("whole city")

    @admin.display(description=gettext_lazy("files"))
    def files(self, report: MonthlyReport) -> str:
        query = _report_query(report.month, report.street)
        url = reverse("admin:exports_monthlyreport_download")
        return format_html(
            '<a href="{}?{}&format=xlsx">Excel</a> · <a href="{}?{}&format=pdf">PDF</a>',
            url,
            query,
            url,
            query,
        )

    # Pages -----------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = "exports_monthlyreport"
        return [
            path("report/", view(self.report_view), name=f"{prefix}_report"),
            path("report/download/", view(self.download_view), name=f"{prefix}_download"),
            path("report/publish/", view(self.publish_view), name=f"{prefix}_publish"),
            path("<path:object_id>/correct/", view(self.correct_view), name=f"{prefix}_correct"),
            *super().get_urls(),
        ]

    def _scope_from(self, request: HttpRequest, data: QueryDict) -> tuple[dt.date, Street | None]:
        """The month and scope asked for; 404 for a scope outside the user's."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = parse_month(data.get("month")) or last_month()
        chosen = data.get("street") or ""
        street = None
        if chosen and chosen != CITY:
            street = Street.objects.filter(pk=chosen).first() if chosen.isdigit() else None
            if street is None:
                raise Http404(_("No such street in your area."))
        elif not chosen:
            street = default_report_street(request.user)
        if not may_read_report(request.user, street):
            raise Http404(_("No such street in your area."))
        return month, street

    def report_view(self, request):
        """The figures first (the per-grid summary, sortable by its column headers), then
        the downloads, then publishing (which asks to confirm on a page of its own)."""
        month, street = self._scope_from(request, request.GET)
        published = published_report(month, street)
        refusal = services.monthly_report_publish_refusal(
            month=month, street=street, actor=actor_of(request)
        )
        figures = report_figures(month, street, published)
        sort = request.GET.get("sort", "")
        descending = request.GET.get("order") == "desc"
        context = {
            **self.admin_site.each_context(request),
            **_summary_context(figures, month, street, sort, descending),
            "opts": self.opts,
            "title": _("Monthly assessment report"),
            "month": month_text(month),
            "street_value": str(street.pk) if street else CITY,
            "streets": streets_reported_to(request.user),
            "may_city": reports_whole_city(request.user),
            "published": published,
            "published_by": person_name(published.published_by) if published else "",
            "may_publish": refusal is None and published is None,
            "may_correct": refusal is None and published is not None,
            "ended": has_ended(month),
            "scope_name": street.name if street else _("whole city"),
        }
        return TemplateResponse(request, "admin/exports/monthlyreport/report.html", context)

    def download_view(self, request):
        """A report file is made (or read, once published) by a job, which only a POST starts
        (the report page's buttons): the answer leads to the job's progress page, which offers
        the file when it is ready, and logs the download. A GET (a link in the list of
        published reports, a bookmark, a crawler, a prefetch) starts nothing and shows a page
        with that button."""
        data = request.POST if request.method == "POST" else request.GET
        month, street = self._scope_from(request, data)
        file_format = data.get("format", "")
        if file_format not in services.FORMATS:
            raise Http404(_("Unknown format."))
        scope_name = street.name if street else _("whole city")
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Download the report of %(month)s?") % {"month": f"{month:%Y-%m}"},
                "month": month_text(month),
                "street_value": str(street.pk) if street else CITY,
                "scope_name": scope_name,
                "file_format": file_format,
                "format_name": FORMAT_NAMES[file_format],
                "back_url": reverse("admin:exports_monthlyreport_report")
                + "?"
                + _report_query(month, street),
            }
            return TemplateResponse(
                request, "admin/exports/monthlyreport/download_confirm.html", context
            )
        job = job_start(
            kind=REPORT_DOWNLOAD_JOB,
            user=actor_of(request),
            params=report_job_params(month, street, format=file_format),
            title=_("Monthly report %(month)s, %(scope)s (%(format)s)")
            % {
                "month": month_text(month),
                "scope": scope_name,
                "format": FORMAT_NAMES[file_format],
            },
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def publish_view(self, request):
        """Publishing freezes a month for good, so it is never one click: the first request
        (the report page's button, a POST without ``confirm``, or a GET) shows what will
        be frozen, the month, the scope and the figures, with a button that confirms. The
        confirmation starts a job (the figures and both files take a while); a refusal known
        now is said at once, and the job asks again when it runs."""
        data = request.POST if request.method == "POST" else request.GET
        month, street = self._scope_from(request, data)
        back = reverse("admin:exports_monthlyreport_report") + "?" + _report_query(month, street)
        if not may_publish_report(request.user, street):
            raise Http404(_("No such street in your area."))
        if request.method != "POST" or data.get("confirm") != "yes":
            figures = month_figures(month, street=street)
            context = {
                **self.admin_site.each_context(request),
                **_summary_context(figures, month, street, "", False),
                "opts": self.opts,
                "title": _("Publish the report of %(month)s?") % {"month": f"{month:%Y-%m}"},
                "month": month_text(month),
                "street_value": str(street.pk) if street else CITY,
                "scope_name": street.name if street else _("whole city"),
                "back_url": back,
                "sortable": False,
            }
            return TemplateResponse(
                request, "admin/exports/monthlyreport/publish_confirm.html", context
            )
        refusal = services.monthly_report_publish_refusal(
            month=month, street=street, actor=actor_of(request)
        )
        if isinstance(refusal, PermissionDenied):
            raise Http404(_("No such street in your area."))
        if refusal is not None:
            self.message_user(request, " ".join(refusal.messages), messages.ERROR)
            return HttpResponseRedirect(back)
        job = job_start(
            kind=REPORT_PUBLISH_JOB,
            user=actor_of(request),
            params=report_job_params(month, street),
            title=_("Publishing the report of %(month)s, %(scope)s")
            % {"month": month_text(month), "scope": street.name if street else _("whole city")},
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def correct_view(self, request, object_id):
        report = self.get_object(request, unquote(object_id))
        if report is None or not may_publish_report(request.user, report.street):
            raise Http404(_("No such report in your area."))
        if request.method == "POST":
            try:
                corrected = services.monthly_report_correct(
                    report=report, reason=request.POST.get("reason", ""), actor=actor_of(request)
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Published %(report)s.") % {"report": corrected})
                return HttpResponseRedirect(
                    reverse("admin:exports_monthlyreport_change", args=[corrected.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Correct %(report)s") % {"report": report},
            "report": report,
        }
        return TemplateResponse(request, "admin/exports/monthlyreport/correct.html", context)

    # The action ------------------------------------------------------------------------------

    @admin.action(
        description=gettext_lazy("Publish corrections of the selected reports"),
        permissions=["publish"],
    )
    def correct_selected(self, request, queryset):
        """Asks for one reason, then publishes a correction of each selected newest version
        (the service refuses a blank reason, as it refuses anything else)."""
        if "reason" not in request.POST:  # the first click: ask for it
            return TemplateResponse(
                request,
                "admin/exports/monthlyreport/correct_selected.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": _("Publish corrections of the selected reports"),
                    "reports": queryset,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        done = 0
        for report in queryset:
            try:
                services.monthly_report_correct(
                    report=report, reason=request.POST["reason"], actor=actor_of(request)
                )
                done += 1
            except (ValidationError, PermissionDenied) as error:
                message = getattr(error, "messages", [str(error)])
                self.message_user(request, f"{report}: {' '.join(message)}", messages.ERROR)
        if done:
            self.message_user(request, _("Published %(count)d corrections.") % {"count": done})
        return None


def _report_query(month: dt.date, street: Street | None, **more: str) -> str:
    return urlencode({"month": month_text(month), "street": street.pk if street else CITY, **more})


def _summary_context(
    figures: MonthFigures, month: dt.date, street: Street | None, sort: str, descending: bool
) -> dict:
    """The summary table, its headers linking to the page sorted on them (the second click
    on the sorted column reverses it), and the street and city totals below."""
    page = reverse("admin:exports_monthlyreport_report")
    headers = []
    for header in summary.headers():
        sorted_here = header.key == sort
        order = "asc" if sorted_here and descending else "desc" if sorted_here else ""
        # Figures read best highest first, names alphabetically: the first click does that.
        order = order or ("desc" if header.numeric and header.key != "rank" else "asc")
        headers.append(
            {
                "label": header.label,
                "numeric": header.numeric,
                "url": f"{page}?{_report_query(month, street, sort=header.key, order=order)}",
                "sorted": ("desc" if descending else "asc") if sorted_here else "",
            }
        )
    totals = [summary.total_row(s.name, s.counts, s.score) for s in figures.streets]
    if len(figures.streets) != 1:
        totals.append(summary.total_row(_("Total"), figures.total, figures.total_score))
    return {
        "figures": figures,
        "headers": headers,
        "rows": summary.summary_rows(figures, sort, descending),
        "totals": totals,
        "sortable": True,
    }


@admin.register(ReportDownload)
class ReportDownloadAdmin(ReadOnlyLogAdmin):
    list_display = ["downloaded_at", "user", "month", "street", "report", "file_format", "sha256"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter), "file_format"]
    date_hierarchy = "downloaded_at"
    list_select_related = ["user", "street", "report__street"]
