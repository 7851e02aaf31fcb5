"""The month-end figures of months that are over, kept (``KeptMonthCounts``): when a month may
be kept, what names the inputs its figures were computed from, and reading and writing the
row; and when the running month's may be read from the live tables instead of the history.

What the figures are and how they are computed is ``exports.selectors``' business; this module
only stores them. The row is derived data, recomputed whenever it is missing or its fingerprint
no longer matches, so writing it from the report's read path (like a cache) changes no figure.
"""

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings

from archives.months import first_day, month_bounds
from exports.models import KeptMonthCounts

#: Bumped when the kept figures' meaning changes outside the queries' text (their Python
#: reading, the JSON's shape): every kept month is then computed afresh.
KEPT_VERSION = 1

#: A month is kept only once it has been over this long (at least): a write that began before
#: midnight, dated then, may commit after it (a job runs up to ``CELERY_TASK_TIME_LIMIT``), and
#: a read replica lags the primary.
KEEP_AFTER = dt.timedelta(hours=2)


def keep_after() -> dt.timedelta:
    """How long a month must have been over before its figures are kept: ``KEEP_AFTER``, or
    twice the longest a job may run, whichever is longer."""
    longest_job = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return max(KEEP_AFTER, 2 * longest_job)


def may_keep(month: dt.date, now: dt.datetime) -> bool:
    """Whether the figures of ``month`` (any day in it) may be kept at ``now``: the month has
    been over for ``keep_after()``. The running month never is."""
    _begins, ends = month_bounds(month)
    return now >= ends + keep_after()


#: The running month's figures read the live tables (its end is now) until this long before
#: it ends: a statement that starts later might see a write dated in the next month (clocks
#: of app servers and workers differ by a moment), and the history is read instead.
LIVE_UNTIL_BEFORE_END = dt.timedelta(minutes=10)


def reads_live_tables(month: dt.date, now: dt.datetime) -> bool:
    """Whether the figures of ``month`` (any day in it) may be read from the live tables at
    ``now``: the month has begun and is still running, ``LIVE_UNTIL_BEFORE_END`` or more from
    its end. Its state at month end is then its state now, and no history entry is dated
    later (``exports.selectors._grid_counts_now_sql``)."""
    begins, ends = month_bounds(month)
    return begins <= now < ends - LIVE_UNTIL_BEFORE_END


def fingerprint(inputs: Any) -> str:
    """A name for everything besides the history that the figures were computed from
    (``inputs``: JSON-able, in a fixed order)."""
    text = json.dumps([KEPT_VERSION, inputs], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def kept_counts(month: dt.date, fingerprint: str) -> Any | None:
    """The counts kept for ``month`` (any day in it) under ``fingerprint``, or None."""
    rows = KeptMonthCounts.objects.filter(month=first_day(month), fingerprint=fingerprint)
    return rows.values_list("counts", flat=True).first()


def counts_keep(month: dt.date, fingerprint: str, counts: Any) -> None:
    """Keep ``counts`` for ``month`` (any day in it) under ``fingerprint``, in place of any
    kept under another (stale: computed from other inputs). Two computations of the same month
    at once keep one row."""
    month = first_day(month)
    KeptMonthCounts.objects.filter(month=month).exclude(fingerprint=fingerprint).delete()
    KeptMonthCounts.objects.bulk_create(
        [KeptMonthCounts(month=month, fingerprint=fingerprint, counts=counts)],
        ignore_conflicts=True,
    )


def kept_counts_forget() -> None:
    """Forget every kept month: for a rebuilt city (the demo's), whose history was rewritten."""
    KeptMonthCounts.objects.all().delete()
