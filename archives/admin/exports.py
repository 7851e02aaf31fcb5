"""Export from the changelist (django-import-export): exactly the rows on the user's list with
its filters and search, masked as on screen, neutralised against formulas, and logged.

A list longer than ``settings.EXPORT_IN_REQUEST_ROWS`` is exported by a job instead
(``archives.jobs``): the request stores what was asked (the list's query string and the export
form) and redirects to the job's progress page; the job asks this same admin again, for the
user as they are then, so the file holds exactly the rows the request would have written.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from archives import services
from archives.admin.base import actor_of
from archives.jobs import EXPORT_JOB, ExportInJob
from archives.resources import FullValuesShown
from archives.spreadsheets import FastXLSX
from jobs.services import job_start


class ArchiveExportMixin(ExportMixin):
    # The list of the user's changelist (scoped, filtered, searched): ExportMixin asks the
    # admin's ChangeList for it. Permission: settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE.
    export_formats = [FastXLSX, CSV]
    # A CSV without a byte order mark opens in Excel as the system's code page (GBK on a
    # Chinese Windows): every Chinese character garbled. With one, Excel reads it as UTF-8.
    to_encoding = "utf-8-sig"

    def export_action(self, request):
        # The export takes the list's query string: it answers only what the list would.
        if why := self.refused_query(request):
            return self.refused_response(request, why)
        return super().export_action(request)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # Where the library has the form's choices and the final rows together: the one place
        # to choose between answering now and handing the export to a job.
        in_job = _in_job(request)
        if in_job is None:
            if _longer_than(queryset, settings.EXPORT_IN_REQUEST_ROWS):
                return self._export_job_start(request)
            return super()._do_file_export(file_format, request, queryset, export_form)
        in_job.total = queryset.count()
        in_job.progress(0, in_job.total)
        in_job.content = self.get_export_data(
            file_format, request, queryset, encoding=self.to_encoding, export_form=export_form
        )
        in_job.filename = self.get_export_filename(request, queryset, file_format)
        return HttpResponse(status=204)  # the job takes the file from ``in_job``

    def _export_job_start(self, request):
        """The job that exports this list; the form's fields and the list's query string are
        all it needs to ask this admin again."""
        form = {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}
        job = job_start(
            kind=EXPORT_JOB,
            user=actor_of(request),
            params={"model": self.opts.label_lower, "query": request.GET.urlencode(), "form": form},
            title=_("Export of %(list)s") % {"list": self.opts.verbose_name_plural},
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def get_export_resource_kwargs(self, request, **kwargs):
        # The resource notes which full values it wrote, for the sensitive read log.
        request.export_shown = FullValuesShown()
        in_job = _in_job(request)
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            "user": request.user,
            "shown": request.export_shown,
            "progress": (lambda done: in_job.progress(done, in_job.total)) if in_job else None,
        }

    def get_export_data(self, file_format, request, queryset, **kwargs):
        request.export_format = file_format.get_title()
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        shown = getattr(request, "export_shown", None) or FullValuesShown()
        if in_job := _in_job(request):
            in_job.rows = len(dataset)
        services.export_record_create(
            user=actor_of(request),
            model=self.opts.model_name,
            rows=len(dataset),
            filters=request.GET.urlencode(),
            file_format=getattr(request, "export_format", ""),
            full_fields=shown.fields,
            full_rows=len(shown.rows),
        )
        return dataset


def _in_job(request: HttpRequest) -> ExportInJob | None:
    """What the export job's request carries (``archives.jobs``); None in a user's request."""
    return getattr(request, "export_in_job", None)


def _longer_than(queryset, rows: int) -> bool:
    """Whether ``queryset`` has more than ``rows`` rows, reading at most one more than that
    (a count of a whole city's residents would cost more than the small export it decides)."""
    return queryset.order_by()[rows : rows + 1].exists()
