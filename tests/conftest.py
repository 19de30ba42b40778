"""Root conftest: headless Qt and throw-away user folders for every test.

Runs before pytest-qt creates the QApplication (initial conftests load before plugins
configure), so:
- Qt uses the offscreen platform (set IPW_TEST_QT_QPA_PLATFORM=xcb to watch tests under a
  real or Xvfb display); DISPLAY and WAYLAND_DISPLAY are removed, so "no display" code paths
  behave the same on a developer's desktop as in CI;
- HOME and the XDG folders point to a temporary session folder before anything reads them;
- each test then gets its own HOME, XDG folders, IPW_USER_DATA_DIR, IPW_USER_CONFIG_DIR (read by
  desktop/paths.py) and QSettings paths, so no test sees another's files and none touches the
  real user folders. Subprocesses inherit the same environment.
The fixture `user_dirs` gives a test those folders.

Tests that use the QApplication (fixtures qapp or qtbot, directly or through another fixture) get
the `gui` marker automatically and run after all the others. A test without the marker that
creates a QApplication fails: headless code must stay headless, and a QApplication made by a plain
test would hide that from every test after it. Select with `-m gui` or `-m "not gui"`.

A modal dialog that nobody answers would block a headless run until CI's time limit. A
watchdog therefore closes any modal dialog still open after IPW_TEST_MODAL_TIMEOUT seconds
(default 10; its escape button, e.g. Cancel) and fails the test that left it open.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

APP_NAME = "inference-procurement-workbook"  # as in desktop/paths.py
APP_AUTHOR = "ipw"


def _real_user_dirs() -> list[Path]:
    """The app's real per-user folders, computed before HOME is replaced."""
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return []
    return [
        Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
    ]


_REAL_USER_DIRS = {p: p.exists() for p in _real_user_dirs()}

_XDG_VARS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def _point_home_at(root: Path) -> dict[str, str]:
    """The environment that puts every per-user folder under `root`."""
    env = {
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "home" / ".config"),
        "XDG_DATA_HOME": str(root / "home" / ".local" / "share"),
        "XDG_CACHE_HOME": str(root / "home" / ".cache"),
        "XDG_STATE_HOME": str(root / "home" / ".local" / "state"),
        "IPW_USER_DATA_DIR": str(root / "user-data"),
        "IPW_USER_CONFIG_DIR": str(root / "user-config"),
    }
    for key in ("HOME", *_XDG_VARS):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


# --- process-wide, at import time: before Qt or platformdirs read anything ----------------
os.environ["QT_QPA_PLATFORM"] = os.environ.get("IPW_TEST_QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    os.environ.pop("DISPLAY", None)
    os.environ.pop("WAYLAND_DISPLAY", None)

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="ipw-tests-"))
os.environ.update(_point_home_at(_SESSION_ROOT))
_runtime_dir = _SESSION_ROOT / "runtime"
_runtime_dir.mkdir(mode=0o700)
os.environ["XDG_RUNTIME_DIR"] = str(_runtime_dir)  # Qt warns when it is unset


@dataclass(frozen=True)
class UserDirs:
    """The per-test folders that stand in for the user's own."""

    root: Path
    home: Path
    data: Path  # IPW_USER_DATA_DIR
    config: Path  # IPW_USER_CONFIG_DIR
    qsettings: Path  # where QSettings writes (all formats, user and system scope)


def _set_qsettings_path(path: Path) -> None:
    """Redirect QSettings for the already-loaded Qt; it caches its paths on first use."""
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None:
        return
    QSettings = qtcore.QSettings
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(path))


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[UserDirs]:
    root = tmp_path_factory.mktemp("user")
    for key, value in _point_home_at(root).items():
        monkeypatch.setenv(key, value)
    qsettings = root / "qsettings"
    qsettings.mkdir()
    _set_qsettings_path(qsettings)
    dirs = UserDirs(
        root=root,
        home=root / "home",
        data=root / "user-data",
        config=root / "user-config",
        qsettings=qsettings,
    )
    yield dirs
    _set_qsettings_path(_SESSION_ROOT / "qsettings")


# --- the gui marker and its guard ----------------------------------------------------------
_GUI_FIXTURES = frozenset({"qapp", "qtbot"})


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    for item in items:
        if _GUI_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)
    # Headless tests first: the QApplication that the first gui test creates lives until the session
    # ends, so only before it can the guard below see a plain test create one. The sort is stable.
    items.sort(key=lambda item: item.get_closest_marker("gui") is not None)


def _qapplication_exists() -> bool:
    qtcore = sys.modules.get("PySide6.QtCore")
    return qtcore is not None and qtcore.QCoreApplication.instance() is not None


_QAPP_BEFORE = pytest.StashKey[bool]()


def _check_no_qapplication_made(item: pytest.Item) -> None:
    """Fails a test without the gui marker that created the QApplication (called after its teardown)."""
    if item.get_closest_marker("gui") is None and not item.stash.get(_QAPP_BEFORE, True) \
            and _qapplication_exists():
        pytest.fail(f"{item.nodeid} created a QApplication but is not marked gui: use the qapp or qtbot "
                    "fixture (which marks it), or keep the test headless", pytrace=False)


# --- modal dialog watchdog -------------------------------------------------------------------
_MODAL_TIMEOUT_S = float(os.environ.get("IPW_TEST_MODAL_TIMEOUT", "10"))


def _escape_button(QMessageBox, box):
    """The button Escape would press (Qt's own rule: explicit, only, reject role, no role)."""
    if box.escapeButton() is not None:
        return box.escapeButton()
    buttons = box.buttons()
    if len(buttons) == 1:
        return buttons[0]
    for role in (QMessageBox.ButtonRole.RejectRole, QMessageBox.ButtonRole.NoRole):
        for button in buttons:
            if box.buttonRole(button) == role:
                return button
    return None


class _ModalWatchdog:
    """Polls for a modal widget; answers it with its escape button once it is open too long."""

    def __init__(self, qtwidgets) -> None:
        from PySide6.QtCore import QTimer

        self._qtwidgets = qtwidgets
        self._current = None
        self._since = 0.0
        self.stuck: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        widget = self._qtwidgets.QApplication.activeModalWidget()
        if widget is None:
            self._current = None
            return
        now = time.monotonic()
        if widget is not self._current:
            self._current, self._since = widget, now
            return
        if now - self._since < _MODAL_TIMEOUT_S:
            return
        description = f"{type(widget).__name__} {widget.windowTitle()!r}"
        if isinstance(widget, self._qtwidgets.QMessageBox):
            description += f": {widget.text()!r}"
            escape = _escape_button(self._qtwidgets.QMessageBox, widget)
            if escape is not None:
                escape.click()
                description += f" (answered {escape.text().replace('&', '')!r})"
        if widget.isVisible():
            if isinstance(widget, self._qtwidgets.QDialog):
                widget.reject()
            else:
                widget.close()
        self.stuck.append(description)
        self._current = None

    def stop(self) -> list[str]:
        self._timer.stop()
        self._timer.deleteLater()
        return self.stuck


def _start_watchdog() -> _ModalWatchdog | None:
    qtwidgets = sys.modules.get("PySide6.QtWidgets")
    if qtwidgets is None or not isinstance(qtwidgets.QApplication.instance(), qtwidgets.QApplication):
        return None
    return _ModalWatchdog(qtwidgets)


def _watched_phase(phase: str):
    dog = _start_watchdog()
    try:
        result = yield
    except BaseException:
        if dog is not None and dog.stop():
            sys.stderr.write(f"modal dialog left open during {phase}: {'; '.join(dog.stuck)}\n")
        raise
    if dog is not None and (stuck := dog.stop()):
        pytest.fail(
            f"a modal dialog stayed open for {_MODAL_TIMEOUT_S:g} s during {phase} "
            f"(a headless run would hang): {'; '.join(stuck)}",
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    item.stash[_QAPP_BEFORE] = _qapplication_exists()
    return (yield from _watched_phase("setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _watched_phase("the test"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield from _watched_phase("teardown")
    _check_no_qapplication_made(item)
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_ROOT, ignore_errors=True)
    created = [str(p) for p, existed in _REAL_USER_DIRS.items() if not existed and p.exists()]
    if created:
        session.config.get_terminal_writer().line(
            f"ERROR: the tests created real user folders: {', '.join(created)}", red=True
        )
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
