"""The monthly report's scheduled work (Celery beat, ``CELERY_BEAT_SCHEDULE`` in the settings)."""

from celery import shared_task

from archives.months import last_month
from exports.selectors import month_counts_keep


@shared_task(name="exports.keep_last_month", ignore_result=True)
def keep_last_month() -> None:
    """Last month's history figures computed and kept (``exports.kept``), once it has been over
    long enough; nothing when they are kept already from the same inputs. Run every night: the
    first night of a month keeps the month before, and a later night makes up for a missed run
    or for a tag whose visits changed (the kept figures' inputs)."""
    month_counts_keep(last_month())
