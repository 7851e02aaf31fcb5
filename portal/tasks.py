"""The portal's periodic work, run by Celery beat (``CELERY_BEAT_SCHEDULE`` in
``portal/settings.py``) in the worker that runs beat (``celery -A portal worker -B``)."""

from celery import shared_task
from django.utils import timezone

from archives import selectors

#: The task's name, as the beat schedule names it.
DASHBOARD_FIGURES_REFRESH = "portal.dashboard_figures_refresh"


@shared_task(name=DASHBOARD_FIGURES_REFRESH, ignore_result=True)
def dashboard_figures_refresh() -> None:
    """Count every grid's figures for the officials' dashboards and keep them in the shared
    cache (``archives.selectors.grid_figures_keep``): the panel a street or municipal official
    opens then adds up kept figures instead of counting a million residents."""
    now = timezone.now()
    selectors.grid_figures_keep(timezone.localdate(now), now)
