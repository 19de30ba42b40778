"""What service functions running on a worker thread share: pausing the cyclic garbage collector."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a worker thread creates millions of short-lived objects.

    A full collection walks every tracked object while holding the GIL; with a million rows in flight that
    is tens of milliseconds the GUI thread cannot run, many times over, and storing a million rows takes
    about a third longer. Rows hold no reference cycles, so the collector simply resumes afterwards.
    Nested and concurrent pauses are counted; the last one out restores the collector's previous state.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
