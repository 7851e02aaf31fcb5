"""The Celery app that runs background jobs (the ``jobs`` app) in a worker process.

Its settings are Django's, prefixed ``CELERY_`` (``portal/settings.py``, "Jobs (Celery)"); each
installed app's ``tasks`` module is found by autodiscovery. ``make run`` and ``make worker``
start a worker: ``celery -A portal worker``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
