"""What the GUI benchmarks measure with, in their fresh offscreen processes (imported there, after Qt).

- `wait_until`: run the event loop, as app.exec would, until a condition holds;
- `FirstPaint`: when the window (set as `.window` once made) first paints.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def wait_until(condition: Callable[[], object], timeout: float = 600.0) -> None:
    """Run the event loop until `condition()` holds; TimeoutError after `timeout` seconds."""
    if condition():
        return
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    poll.timeout.connect(lambda: condition() and loop.quit())
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    poll.start()
    deadline.start(int(timeout * 1000))
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("the GUI did not get there in time")


class FirstPaint(QObject):
    """An application-wide event filter noting the first paint of any widget of `window`."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.window: QWidget | None = None
        self.painted_at: float | None = None
        app.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if (self.painted_at is None and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                and self.window is not None and obj.window() is self.window):
            self.painted_at = time.perf_counter()
        return False
