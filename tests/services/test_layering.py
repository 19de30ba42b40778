"""The layers hold where import-linter cannot see: headless commands load no Qt (checked in a fresh
interpreter), the front ends do not import each other, and no SQL runs outside desktop/storage/."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DESKTOP = Path(__file__).resolve().parents[2] / "desktop"

PROBE = textwrap.dedent("""
    import sys
    from desktop.cli import main
    code = main(sys.argv[1:])
    loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')
                    or m.startswith('desktop.ui'))
    print('LOADED', loaded)
    sys.exit(code)
""")


def _probe(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "w.ipwb"
    assert _probe("new", path, "--sample").returncode == 0
    return path


def test_ipw_import_leaves_qt_out(sample, tmp_path):
    source = tmp_path / "t.csv"
    assert _probe("template", "--csv", source).returncode == 0
    done = _probe("import", sample, source, "--allow-duplicate")
    assert done.returncode == 0 and "imported 3 of 3 rows" in done.stdout, done.stdout + done.stderr
    assert "LOADED []" in done.stdout, done.stdout


def test_ipw_export_pdf_and_xlsx_leaves_qt_out(sample, tmp_path):
    done = _probe("export", sample, "--pdf", tmp_path / "m.pdf", "--xlsx", tmp_path / "m.xlsx")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.pdf").stat().st_size > 0 and (tmp_path / "m.xlsx").stat().st_size > 0
    assert "LOADED []" in done.stdout, done.stdout


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((DESKTOP / package).rglob("*.py"))


def test_the_cli_never_imports_the_gui_and_the_gui_never_imports_the_cli():
    # desktop/app.py is the documented launcher: `ipw open` calls app.run_gui lazily, and the gui-script's
    # main() hands its arguments to the CLI; neither is in desktop/cli or desktop/ui.
    cli_to_ui = {str(p): sorted(m for m in _imports(p) if m.startswith("desktop.ui")) for p in _modules("cli")}
    ui_to_cli = {str(p): sorted(m for m in _imports(p) if m.startswith("desktop.cli")) for p in _modules("ui")}
    assert {k: v for k, v in cli_to_ui.items() if v} == {}
    assert {k: v for k, v in ui_to_cli.items() if v} == {}


SQL = re.compile(r"\.(execute|executemany|executescript)\(|\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")


# The one exception: the shipped request-log query (resources/sql/request_log_aggregate.sql) that engineers run
# in their warehouse is run by the app too, by polars on a request log; it never touches a workbook.
SQL_ON_REQUEST_LOGS = DESKTOP / "importers" / "sql_aggregate.py"


def test_no_sql_outside_storage():
    offenders = []
    for path in sorted(DESKTOP.rglob("*.py")):
        if DESKTOP / "storage" in path.parents or path == SQL_ON_REQUEST_LOGS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.relative_to(DESKTOP)}:{number}: {line.strip()}")
    assert offenders == []


def test_services_import_no_front_end_and_no_qt():
    bad = {str(p): sorted(m for m in _imports(p) if m.split(".")[0] in ("PySide6", "pyqtgraph")
                          or m.startswith(("desktop.ui", "desktop.cli")))
           for p in _modules("services")}
    assert {k: v for k, v in bad.items() if v} == {}
