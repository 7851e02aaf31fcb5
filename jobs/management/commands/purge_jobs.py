"""``manage.py purge_jobs``: delete the jobs that finished more than ``JOB_KEEP_DAYS`` ago, with
their files. The workers already do this at most once an hour (``jobs.tasks``); the command is
for a machine whose workers sit idle, or to purge at once after lowering ``JOB_KEEP_DAYS``."""

from django.conf import settings
from django.core.management.base import BaseCommand

from jobs.retention import jobs_purge


class Command(BaseCommand):
    help = "Delete background jobs finished more than JOB_KEEP_DAYS ago, with their files."

    def handle(self, *args, **options):
        purged = jobs_purge()
        self.stdout.write(
            f"Purged {purged} job(s) finished more than {settings.JOB_KEEP_DAYS} day(s) ago."
        )
