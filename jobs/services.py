"""Starting a job (running one: ``jobs.execution``; forgetting old ones: ``jobs.retention``)."""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.types import Actor
from jobs.execution import finish
from jobs.models import Job
from jobs.registry import runner_of
from jobs.tasks import job_run

logger = logging.getLogger(__name__)


def job_start(*, kind: str, user: Actor, params: dict[str, Any], title: str) -> Job:
    """Create the job (waiting) and hand it to a worker once the caller's transaction commits
    (the worker reads the row through its own connection). When tasks run eagerly (tests,
    ``JOBS_IN_REQUEST=1``) the job runs at once, in the caller's transaction, and is returned
    finished."""
    runner_of(kind)  # an unknown kind fails here, in the caller, not later in the worker
    job = Job.objects.create(
        kind=kind,
        user=user,
        params=params,
        title=str(title)[: Job._meta.get_field("title").max_length],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    if job_run.app.conf.task_always_eager:
        job_run.apply(args=[str(job.pk)])
        job.refresh_from_db()
        return job

    def enqueue() -> None:
        try:
            job_run.delay(str(job.pk))
        except Exception:
            # The broker (Redis) is unreachable: say so on the job's page rather than leave
            # it waiting for ever.
            logger.exception("Job %s could not be queued", job.pk)
            finish(
                job.pk,
                Job.State.FAILED,
                message=_(
                    "The job could not be queued: the job "
                    "queue is not reachable. Try again later or tell an administrator."
                ),
            )

    transaction.on_commit(enqueue)
    return job
