"""The suite's own rules: the gui marker is set for tests that use the QApplication, a plain test
that creates one fails, warnings and Qt warnings fail a test, and plain `pytest` collects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = '''
import warnings

import pytest


def test_plain_test_that_makes_a_qapplication():
    from PySide6.QtWidgets import QApplication
    QApplication.instance() or QApplication([])


def test_plain_test_stays_headless():
    assert True


def test_gui_test(qtbot, request):
    assert request.node.get_closest_marker("gui") is not None


def test_a_warning_fails():
    warnings.warn("deprecated thing", DeprecationWarning)


def test_a_qt_warning_fails(qtbot):
    from PySide6.QtCore import qWarning
    qWarning("something is off")


@pytest.mark.xfail(reason="strict: an unexpected pass fails")
def test_unexpected_pass():
    assert True
'''


def run_probe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_probe.py").write_text(PROBE)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})


def test_gui_marker_guard_and_strict_warnings(tmp_path):
    result = run_probe(tmp_path)
    out = result.stdout
    assert result.returncode == 1, out
    assert "PASSED tests/test_probe.py::test_plain_test_stays_headless" in out
    assert "PASSED tests/test_probe.py::test_gui_test" in out
    assert ("ERROR tests/test_probe.py::test_plain_test_that_makes_a_qapplication - Failed: "
            "tests/test_probe.py::test_plain_test_that_makes_a_qapplication created a QApplication but is "
            "not marked gui") in out
    assert "FAILED tests/test_probe.py::test_a_warning_fails - DeprecationWarning: deprecated thing" in out
    assert "FAILED tests/test_probe.py::test_a_qt_warning_fails" in out and "something is off" in out
    assert "FAILED tests/test_probe.py::test_unexpected_pass" in out and "XPASS(strict)" in out


def test_gui_marker_selects(tmp_path):
    result = run_probe(tmp_path, "-m", "gui", "--co")
    assert "test_gui_test" in result.stdout and "test_a_qt_warning_fails" in result.stdout
    assert "test_plain_test_stays_headless" not in result.stdout


def test_unknown_marker_and_config_key_are_errors(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "test_x.py").write_text("import pytest\n\n@pytest.mark.no_such_marker\ndef test_x():\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "test_x.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "'no_such_marker' not found in `markers`" in result.stdout + result.stderr


@pytest.mark.parametrize("module", ["tests/importers/test_import_api.py", "tests/cli/test_workbook_cli.py"])
def test_plain_pytest_collects_from_the_repository_root(module):
    pytest_script = Path(sys.executable).parent / "pytest"
    result = subprocess.run([str(pytest_script), "--collect-only", "-q", module], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR collecting" not in result.stdout and " collected" in result.stdout
