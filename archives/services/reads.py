"""Reads that are themselves recorded: full sensitive values shown, residents found in
another grid (within a daily ceiling) and exports."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.types import Actor
from archives import scope
from archives.imports.reading import FileRefused
from archives.models import (
    ExportRecord,
    Resident,
    SensitiveAccess,
)


def sensitive_reads_record(*, user: Actor, shown: dict[int, set[str]], view: str) -> None:
    """Log that ``user`` was shown, per resident ID, these sensitive fields in full."""
    SensitiveAccess.objects.bulk_create(
        [
            SensitiveAccess(
                user=user, resident_id=resident_id, fields=",".join(sorted(fields)), view=view
            )
            for resident_id, fields in shown.items()
            if fields
        ]
    )


def resident_sensitive_reads_record(*, user: Actor, resident: Resident, view: str) -> None:
    """Log the sensitive fields of ``resident``'s file that ``user`` is shown in full on a page
    of the whole file (its form, its history, the version an audit checks): those their
    scope does not mask."""
    shown = {scope.ID_NUMBER, scope.MEDICAL_HISTORY} - scope.hidden_fields(user, resident)
    sensitive_reads_record(user=user, shown={resident.pk: shown}, view=view)


#: All that anyone outside a resident's area is told about them.
RESIDENT_ELSEWHERE = gettext_lazy("registered in another grid — ask for a transfer")


class ElsewhereLimitReached(FileRefused):
    """Today's ``RESIDENT_ELSEWHERE_DAILY_LIMIT`` is used up: the import (or the new file) is
    refused as a whole, without saying which ID number was found."""


@transaction.atomic
def residents_elsewhere_record(*, user: Actor, resident_ids: Iterable[int]) -> None:
    """``user`` is about to be told that these residents (matched by an ID number they typed
    or uploaded) are registered in another grid: log each as a sensitive read, within a daily
    ceiling per user; past it, raise ``ElsewhereLimitReached`` and tell (and log) nothing.

    The one rule for the resident import's preview and the resident add form. Residents the
    user may see anyway are not counted: they learn nothing new.
    """
    asked = set(resident_ids)
    if not asked:
        return
    in_view = scope.restrict(Resident.objects.filter(pk__in=asked), user, scope.VIEW)
    elsewhere = asked - set(in_view.values_list("pk", flat=True))
    if not elsewhere:
        return
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    told_today = SensitiveAccess.objects.filter(
        user=user, view=SensitiveAccess.View.ELSEWHERE, accessed_at__gte=today
    ).count()
    limit = settings.RESIDENT_ELSEWHERE_DAILY_LIMIT
    if told_today + len(elsewhere) > limit:
        raise ElsewhereLimitReached(
            _(
                "Refused: this would tell you of more residents registered in other grids than "
                "the %(limit)d a day allowed. Check the ID numbers, or ask an administrator."
            )
            % {"limit": limit}
        )
    sensitive_reads_record(
        user=user,
        shown={pk: {scope.ID_NUMBER} for pk in sorted(elsewhere)},
        view=SensitiveAccess.View.ELSEWHERE,
    )


@transaction.atomic
def export_record_create(
    *,
    user: Actor,
    model: str,
    rows: int,
    filters: str,
    file_format: str,
    full_fields: Iterable[str] = (),
    full_rows: int = 0,
) -> ExportRecord:
    """Log an export of ``rows`` rows of ``model`` with the list's ``filters``; when it held
    full values (``full_fields`` in ``full_rows`` rows), also one sensitive read for the
    whole file: a file leaves the system, and nobody reads the log row by row."""
    record = ExportRecord.objects.create(
        user=user, model=model, rows=rows, filters=filters, file_format=file_format
    )
    if full_fields and full_rows:
        SensitiveAccess.objects.create(
            user=user,
            resident=None,
            fields=",".join(sorted(full_fields)),
            view=SensitiveAccess.View.EXPORT,
            rows=full_rows,
            filters=filters,
            file_format=file_format,
        )
    return record
