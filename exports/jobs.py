"""The monthly report's jobs: a download (the file made, or the published one read, and logged)
and publishing. The report page starts them (``exports.admin``); each asks the services again,
for the user as they are when it runs: a grant taken away in between refuses the job.

Imported by ``ExportsConfig.ready()``, which registers the runners.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.models import Street
from archives.months import month_text, parse_month
from archives.replica import reading_from_replica
from exports import services
from jobs.registry import job_runner
from jobs.runner import JobRefused, JobResult, Progress

REPORT_DOWNLOAD_JOB = "exports.report_download"
REPORT_PUBLISH_JOB = "exports.report_publish"
#: A report's scope in a job's parameters and the report page's query string: the whole city.
CITY = "city"


def report_job_params(month: dt.date, street: Street | None, **more: str) -> dict:
    return {"month": month_text(month), "street": street.pk if street else CITY, **more}


def report_page_url(month: dt.date, street: Street | None) -> str:
    query = urlencode({"month": month_text(month), "street": street.pk if street else CITY})
    return reverse("admin:exports_monthlyreport_report") + "?" + query


def _asked(job) -> tuple[Actor, dt.date, Street | None]:
    """The user (fresh: grants as they are now), month and scope of a report job."""
    user = get_user_model().objects.get(pk=job.user_id)
    if not user.is_active:
        raise JobRefused(_("Your account is no longer active."))
    month = parse_month(job.params["month"])
    if month is None:
        raise JobRefused(_("Unknown month."))
    street = None
    if job.params["street"] != CITY:
        street = Street.objects.filter(pk=job.params["street"]).first()
        if street is None:
            raise JobRefused(_("No such street in your area."))
    return user, month, street


def _refusal(error: PermissionDenied | ValidationError) -> JobRefused:
    if isinstance(error, ValidationError):
        return JobRefused(" ".join(error.messages))
    return JobRefused(str(error))


@job_runner(REPORT_DOWNLOAD_JOB)
def report_download_run(job, progress: Progress) -> JobResult:
    user, month, street = _asked(job)
    file_format = job.params["format"]
    progress(0, 1)
    try:
        # The month's figures are read from the read replica, if there is one (the download's
        # log is written to the primary).
        with reading_from_replica():
            filename, content = services.monthly_report_download(
                month=month, street=street, file_format=file_format, actor=user
            )
    except (PermissionDenied, ValidationError) as error:
        raise _refusal(error) from None
    path = default_storage.save(f"jobs/{job.pk}/{filename}", ContentFile(content))
    progress(1, 1)
    return JobResult(
        summary=_("The report of %(month)s for %(scope)s is ready: %(file)s.")
        % {
            "month": month_text(month),
            "scope": street.name if street else _("whole city"),
            "file": filename,
        },
        link=report_page_url(month, street),
        link_text=_("Back to the report"),
        file_path=path,
        file_name=filename,
    )


@job_runner(REPORT_PUBLISH_JOB)
def report_publish_run(job, progress: Progress) -> JobResult:
    user, month, street = _asked(job)
    progress(0, 1)
    try:
        report = services.monthly_report_publish(month=month, street=street, actor=user)
    except (PermissionDenied, ValidationError) as error:
        raise _refusal(error) from None
    progress(1, 1)
    return JobResult(
        summary=_("Published %(report)s.") % {"report": report},
        link=report_page_url(month, street),
        link_text=_("Open the published report"),
    )
