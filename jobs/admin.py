"""The jobs in the admin: each job's page (progress bar, then the result or why it failed), its
JSON status for the page's script, its file's download, and the user's own list of jobs.

Only a job's own user reaches any of them (``jobs.selectors``); everyone else gets 404.
"""

from math import ceil

from django.conf import settings
from django.contrib import admin
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jobs import selectors
from jobs.models import Job

#: Seconds a job may wait for a worker before its page says it is waiting for one.
WAITING_NOTICE_SECONDS = 10


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """ "My background jobs": read-only, the user's own, each opening its page."""

    list_display = ["page_link", "state", "progress_words", "created_at", "finished_at"]
    list_display_links = None
    list_filter = ["state"]
    date_hierarchy = None

    # Every signed-in account may list its own jobs (and only those: get_queryset).
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or obj.user_id == request.user.pk
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return selectors.jobs_of(request.user)

    @admin.display(description=_("title"), ordering="title")
    def page_link(self, job: Job):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:jobs_job_progress", args=[job.pk]), job.title
        )

    @admin.display(description=_("progress"))
    def progress_words(self, job: Job) -> str:
        done, total = selectors.job_progress(job)
        return f"{done} / {total}" if total else "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:job_id>/progress/", view(self.progress_view), name="jobs_job_progress"),
            path("<uuid:job_id>/status/", view(self.status_view), name="jobs_job_status"),
            path("<uuid:job_id>/download/", view(self.download_view), name="jobs_job_download"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A job has no form: its page is the progress page.
        job = selectors.job_of(request.user, object_id)
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def progress_view(self, request, job_id):
        job = selectors.job_of(request.user, job_id)
        done, total = selectors.job_progress(job)
        waited = (timezone.now() - job.created_at).total_seconds()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.title,
            "job": job,
            "done": done,
            "total": total,
            "result": job.result or {},
            # How long the page polls a job that does not move (jobs/static/jobs/progress.js).
            "idle_seconds": settings.SESSION_COOKIE_AGE,
            # A job still waiting after this long probably has no worker to run it: the page
            # says so (at once when it opens later, else when the moment comes: progress.js).
            "waiting_notice_in": max(0, ceil(WAITING_NOTICE_SECONDS - waited)),
        }
        return TemplateResponse(request, "admin/jobs/progress.html", context)

    def status_view(self, request, job_id):
        """What the page's script polls (jobs/static/jobs/progress.js)."""
        job = selectors.job_of(request.user, job_id)
        done, total = selectors.job_progress(job)
        response = JsonResponse(
            {
                "state": job.state,
                "state_words": str(job.get_state_display()),
                "done": done,
                "total": total,
                "finished": job.finished,
                "message": job.message,
                "summary": (job.result or {}).get("summary"),
            }
        )
        response["Cache-Control"] = "no-store"
        return response

    def download_view(self, request, job_id):
        job = selectors.job_of(request.user, job_id)
        result = job.result or {}
        if job.state != Job.State.DONE or not result.get("file_path"):
            raise Http404
        try:
            stored = default_storage.open(result["file_path"], "rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            stored,
            as_attachment=True,
            filename=result.get("file_name") or result["file_path"].rsplit("/", 1)[-1],
        )
