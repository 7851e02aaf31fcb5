"""Writes for monthly reports: publish, correct, and every download logged.

Scope is checked here, whoever calls (admin, command, tests), through the predicates of
``exports.selectors`` that ask ``archives.scope``.
"""

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.models import Street
from archives.months import first_day, has_ended
from exports.excel import report_xlsx
from exports.figures import figures_as_json
from exports.models import MonthlyReport, ReportDownload
from exports.pdf import report_pdf
from exports.selectors import (
    may_publish_report,
    may_read_report,
    month_figures,
    published_report,
    reports_of_scope,
)

FORMATS = {"xlsx": report_xlsx, "pdf": report_pdf}


def report_filename(month: dt.date, street: Street | None, version: int | None, fmt: str) -> str:
    scope_code = street.code if street is not None else "city"
    label = f"v{version}" if version else "draft"
    return f"monthly-report-{month:%Y-%m}-{scope_code}-{label}.{fmt}"


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def monthly_report_publish_refusal(
    *, month: dt.date, street: Street | None, actor: Actor
) -> PermissionDenied | ValidationError | None:
    """What publishing ``month``'s report for ``street`` (a first version or a correction)
    is refused with before its versions are looked at: a scope beyond ``actor``'s, or a
    month not over. None: ``actor`` may publish it. ``monthly_report_publish`` raises it; the
    report page offers its publish and correct buttons only where it is None."""
    if not may_publish_report(actor, street):
        return PermissionDenied(_("You may not publish this report."))
    if not has_ended(month):
        return ValidationError(_("A month can be published only after it has ended."))
    return None


@transaction.atomic
def monthly_report_publish(
    *,
    month: dt.date,
    street: Street | None,
    actor: Actor,
    corrects: MonthlyReport | None = None,
    reason: str = "",
) -> MonthlyReport:
    """Compute the month's figures once, store them and both files, and freeze them.

    A month and scope is published once; afterwards only a correction (``corrects`` the
    newest published version, with a ``reason``) makes a new version.
    """
    if refusal := monthly_report_publish_refusal(month=month, street=street, actor=actor):
        raise refusal
    month = first_day(month)
    # Lock the scope's versions: two officials publishing at once get consecutive versions.
    versions = list(reports_of_scope(month, street).select_for_update().order_by("pk"))
    current = published_report(month, street)
    if corrects is None and current is not None:
        raise ValidationError(
            _("This month is already published (version %(version)d); publish a correction.")
            % {"version": current.version}
        )
    if corrects is not None:
        if current is None or corrects.pk != current.pk:
            raise ValidationError(_("Only the newest published version can be corrected."))
        if not reason.strip():
            raise ValidationError(_("Say why the report is corrected."))
    figures = month_figures(month, street=street)
    report = MonthlyReport(
        month=month,
        street=street,
        state=MonthlyReport.State.PUBLISHED,
        version=max((r.version for r in versions), default=0) + 1,
        corrects=corrects,
        correction_reason=reason.strip(),
        figures=figures_as_json(figures),
        published_by=actor,
        published_at=timezone.now(),
    )
    for fmt, render in FORMATS.items():
        content = render(figures)
        setattr(report, f"{fmt}_sha256", _sha256(content))
        filename = report_filename(month, street, report.version, fmt)
        getattr(report, fmt).save(filename, ContentFile(content), save=False)
    report.save()
    return report


def monthly_report_correct(*, report: MonthlyReport, reason: str, actor: Actor) -> MonthlyReport:
    """A new published version of ``report``'s month and scope, saying why."""
    return monthly_report_publish(
        month=report.month, street=report.street, actor=actor, corrects=report, reason=reason
    )


def monthly_report_download(
    *, month: dt.date, street: Street | None, file_format: str, actor: Actor
) -> tuple[str, bytes]:
    """The report file (the stored one once published, else a draft computed now), logged."""
    if file_format not in FORMATS:
        raise ValidationError(_("Unknown format."))
    if not may_read_report(actor, street):
        raise PermissionDenied(_("You may not download this report."))
    month = first_day(month)
    report = published_report(month, street)
    if report is not None:
        with getattr(report, file_format).open("rb") as stored:
            content = stored.read()
        if _sha256(content) != getattr(report, f"{file_format}_sha256"):
            raise ValidationError(_("The stored report file does not match its checksum."))
    else:
        content = FORMATS[file_format](month_figures(month, street=street))
    ReportDownload.objects.create(
        user=actor,
        month=month,
        street=street,
        report=report,
        file_format=file_format,
        sha256=_sha256(content),
    )
    filename = report_filename(month, street, report.version if report else None, file_format)
    return filename, content
