"""Python's cycle collector held off while an import reads, plans and writes a file.

An import of 100,000 rows keeps hundreds of thousands of objects alive at once (the sheet's
cells, the planned rows, a chunk of model instances), and makes almost no reference cycles:
what it lets go is freed by reference counting. The collector does not know that; every few
hundred allocations it looks through the young objects, and as they age through the whole
heap again (about 3,000 collections, a dozen of them full, for one file): 2.2-2.5 s of a
100,000-row import's 8-11 s of Python, and not a byte less memory at its peak. While
``collector_paused`` holds, it does not run; afterwards it is as it was, and its next run
frees whatever cycles the import left.

Each step (``read_table``, a plan, an apply) holds it off; whoever runs several steps holds it
off around all of them (the import job, the preview): otherwise the collector runs once between
each two, over everything the file has left alive so far (0.1-0.3 s each time).
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0  # blocks inside collector_paused, in every thread
_was_enabled = False  # the collector's state when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cycle collector for the block (or, as ``@collector_paused()``, the call);
    when the last block that holds it ends, the collector is as it was before the first."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
