import logging

from celery import shared_task

from jobs.execution import job_execute
from jobs.retention import jobs_purge_if_due

logger = logging.getLogger(__name__)


@shared_task(name="jobs.run", ignore_result=True)
def job_run(job_id: str) -> None:
    """One job, by its ID (the row holds everything else); then, at most once an hour, the
    old jobs' purge (``jobs.retention.jobs_purge_if_due``), here in the worker so that no page
    waits for it and no scheduler has to run beside the workers."""
    job_execute(job_id=job_id)
    try:
        purged = jobs_purge_if_due()
    except Exception:
        # The job itself is done and recorded; the next purge tries again.
        logger.exception("Purging old jobs failed")
    else:
        if purged:
            logger.info("Purged %d old jobs and their files", purged)
