"""How a web worker process runs Python: what its garbage collector walks, how often its threads
take turns.

The garbage collector: a full (generation 2) collection walks every tracked object in the
process: Django's apps, models, URL resolvers, compiled templates and translation catalogues,
about 160,000 objects in a warm worker. It ran every few dozen requests and took 100-220 ms on
the 2-core machine, added to whichever page was being served: the pause that set most lists'
p95 in the benchmark (a page of 70 ms then took 180-330 ms). ``gc.freeze()`` moves every object
alive at that moment to a permanent generation that collections skip, so a full collection
walks only what requests left behind since (16-33 ms measured the same way). What is frozen is
never collected as a cycle; it is what the process keeps anyway, and reference counting still
frees it.
See https://docs.python.org/3/library/gc.html#gc.freeze.

What a request leaves in reference cycles is collected once its response has been sent
(``collect_after_each_request``), not while the next page is being built. A list page leaves
about 3,100 such objects: Django's template context refers to itself (``Context.push``), and
through it the changelist holds the page's 100 residents, their households, buildings and
grids, each row also in a cycle with its prefetched tags. Collected by the thresholds, they
reached the oldest generation, which after the freeze is nearly empty, so full collections
started every few requests and walked the page then being built: 10-30 ms in one request of
twenty, the administrator's search's p95 (45-48 ms against a median of 37, through Django's
WSGI handler on the million-resident city). Collected after each response instead: p95
42-43 ms, 0.4 ms a collection (1.6 ms at most), the worker's memory flat at 109 MB over 300
requests where it had grown to 115.
"""

import gc
import sys
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished

from portal.env import env_int

_after_first_request = threading.Lock()


def freeze_long_lived() -> None:
    """Collect what is garbage now, then move everything still alive out of collections' way."""
    gc.collect()
    gc.freeze()


def freeze_after_first_request() -> None:
    """Freeze once at start-up and once more after the first request, whose work builds what
    every later request reuses (URL resolvers, compiled templates, the language's catalogue)."""
    freeze_long_lived()
    request_finished.connect(_freeze_once, dispatch_uid="portal.web_worker.freeze_once")


def _freeze_once(**_: object) -> None:
    with _after_first_request:
        if request_finished.disconnect(dispatch_uid="portal.web_worker.freeze_once"):
            freeze_long_lived()


def switch_threads_often() -> None:
    """Let a thread waiting for the GIL take it after ``WEB_THREAD_SWITCH_MS`` (default 1 ms)
    instead of Python's 5 ms.

    A gunicorn worker runs two threads. When one renders a page (pure Python) and the other
    waits on PostgreSQL, the waiting thread must take the GIL back after every query it sends,
    and waits up to the switch interval each time: 5 ms a query, 10-20 queries a page, when
    both threads are busy. In the 50-person load test the pages' p95 went from 630-830 ms to
    470 ms with 1 ms (one run each, 2.5 minutes, on a shared machine)."""
    milliseconds = env_int("WEB_THREAD_SWITCH_MS", 1)
    if milliseconds < 1:
        raise ImproperlyConfigured(f"WEB_THREAD_SWITCH_MS must be at least 1, got {milliseconds}")
    sys.setswitchinterval(milliseconds / 1000)


def collect_after_each_request() -> None:
    """Collect the cycles each request leaves once its response is sent: Django sends
    ``request_finished`` when the server closes the response, after its last byte."""
    request_finished.connect(_collect, dispatch_uid="portal.web_worker.collect")


def collect_request_garbage() -> None:
    """What a worker does once a response is sent (``collect_after_each_request``); the bench
    calls it after each request it times, as a worker would."""
    gc.collect()


def _collect(**_: object) -> None:
    collect_request_garbage()
