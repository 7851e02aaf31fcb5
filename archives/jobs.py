"""The archive's jobs: an export of a long list (started by ``archives.admin.exports``).

Imported by ``ArchivesConfig.ready()``, which registers the runners.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext as _

from archives.replica import reading_from_replica
from jobs.registry import job_runner
from jobs.runner import JobRefused, JobResult, Progress

EXPORT_JOB = "archives.export"


@dataclass
class ExportInJob:
    """What the request the export job rebuilds carries to the admin: the job's progress; and
    back from it, the file the export made."""

    progress: Callable[[int, int], None]
    total: int = 0
    content: bytes | None = None
    filename: str = ""
    rows: int = 0


@job_runner(EXPORT_JOB)
def export_run(job, progress: Progress) -> JobResult:
    """The export the user asked for, asked again of the same admin for the user as they are
    now: their scope, masking and permission today, the list's filters and search, the form's
    format and columns; the export log written as in the request."""
    params = job.params
    model = apps.get_model(params["model"])
    # An ArchiveExportMixin admin (refused_query, export_action), and a request carrying its
    # attributes: both typed loosely.
    model_admin: Any = admin.site.get_model_admin(model)
    info = (model._meta.app_label, model._meta.model_name)
    query = params.get("query", "")
    request: Any = RequestFactory().post(
        reverse("admin:{}_{}_export".format(*info)) + (f"?{query}" if query else ""),
        data=params.get("form", {}),
    )
    # Fresh from the database: grants and roles as they are now, no permission cache.
    request.user = get_user_model().objects.get(pk=job.user_id)
    request._messages = CookieStorage(request)  # the form's errors have somewhere to go
    request.export_in_job = in_job = ExportInJob(progress=progress)
    if not request.user.is_active or not model_admin.has_export_permission(request):
        raise JobRefused(_("You may no longer export this list."))
    if why := model_admin.refused_query(request):
        raise JobRefused(why)
    # The list is read from the read replica, if there is one (the checks above read the
    # primary, so a grant just taken away counts); the export log is written to the primary.
    with reading_from_replica():
        model_admin.export_action(request)
    if in_job.content is None:
        raise JobRefused(_("The export form was refused; open the list and export it again."))
    path = default_storage.save(f"jobs/{job.pk}/{in_job.filename}", ContentFile(in_job.content))
    progress(in_job.total, in_job.total)
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    return JobResult(
        summary=_("Exported %(rows)d rows of %(list)s.")
        % {"rows": in_job.rows, "list": model._meta.verbose_name_plural},
        link=changelist + (f"?{query}" if query else ""),
        link_text=_("Back to the list"),
        file_path=path,
        file_name=in_job.filename,
    )
