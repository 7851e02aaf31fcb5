"""Background jobs: long work that runs in a Celery worker while the user watches its progress.

An app registers a runner (``jobs.registry.job_runner``), starts a job with
``jobs.services.job_start`` and sends the user to the job's page
(``admin:jobs_job_progress``). This app sits below every other and imports only ``accounts``.
"""
