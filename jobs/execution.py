"""Running one job: in the worker (``jobs.tasks``), or at once when tasks run eagerly."""

import logging
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.models import Job
from jobs.registry import runner_of
from jobs.runner import JobRefused, Progress, progress_key

logger = logging.getLogger(__name__)


def job_execute(*, job_id: str) -> None:
    """Run one job: mark it running, run its runner inside one transaction, record the result
    or why it failed. A failed job writes nothing of its runner's."""
    # Only a waiting job, or a running one whose worker died (its work was rolled back and the
    # broker handed it out again), is run; a finished one is left as it is.
    claimed = Job.objects.filter(pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        state=Job.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    progress = Progress(job.pk)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            run = runner_of(job.kind)
            with transaction.atomic():
                result = run(job, progress)
        except JobRefused as refused:
            finish(job.pk, Job.State.FAILED, message=str(refused))
        except SoftTimeLimitExceeded:
            logger.error("Job %s (%s) ran past its time limit", job.pk, job.kind)
            finish(
                job.pk,
                Job.State.FAILED,
                message=_("The job took too long and was stopped. Nothing was changed."),
            )
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            finish(
                job.pk,
                Job.State.FAILED,
                message=_("The job failed unexpectedly; the error is logged. Nothing was changed."),
            )
        else:
            finish(job.pk, Job.State.DONE, result=result.as_json())


def finish(job_id: Any, state: str, *, message: str = "", result: Any = None) -> None:
    done, total = cache.get(progress_key(job_id)) or (0, 0)
    if state == Job.State.DONE:
        done = total = max(done, total)
    Job.objects.filter(pk=job_id).update(
        state=state,
        message=message,
        result=result,
        done=done,
        total=total,
        finished_at=timezone.now(),
    )
    cache.delete(progress_key(job_id))
