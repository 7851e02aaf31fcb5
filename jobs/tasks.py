from celery import shared_task

from jobs.execution import job_execute


@shared_task(name="jobs.run", ignore_result=True)
def job_run(job_id: str) -> None:
    """One job, by its ID (the row holds everything else)."""
    job_execute(job_id=job_id)
