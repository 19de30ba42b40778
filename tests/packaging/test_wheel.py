"""The wheel works once installed: it carries resources/ and report_templates/, and `ipw` runs from it.

The wheel is built from a copy of the sources (`pip wheel --no-deps --no-build-isolation`, with the
setuptools of the project's venv, so no network), then installed into a fresh venv. That venv gets the
dependencies by linking in the packages of the project's venv (everything but the project's own
editable install), and `pip install --no-index -c packaging/constraints.txt` then checks that the
wheel's dependency ranges accept exactly the pinned versions. `ipw new --sample`, `ipw export --pdf` and
`ipw verify` then run from the fresh venv, in a folder outside the checkout, with the network forbidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("desktop", "resources", "report_templates", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
           "packaging/constraints.txt")
OWN = ("inference_procurement_workbook", "__editable__", "desktop", "_inference_procurement_workbook")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} exited {result.returncode}:\n" \
                                   f"{result.stdout}\n{result.stderr}"
    return result


def fresh_venv(root: Path) -> Path:
    """A venv whose site-packages links to every package of the project's venv except the project."""
    run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    target = Path(run([str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                      cwd=root).stdout.strip())
    source = Path(sysconfig.get_path("purelib"))
    for entry in source.iterdir():
        if entry.name.startswith(OWN) or entry.name == "__pycache__" or (target / entry.name).exists():
            continue
        (target / entry.name).symlink_to(entry)
    return root


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel-src")
    for name in SOURCES:
        src, dst = REPO / name, work / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dst)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "-q", "--no-deps",
         "--no-build-isolation", "-w", str(out), str(work)], cwd=work)
    (built,) = out.glob("inference_procurement_workbook-*.whl")
    return built


def test_the_wheel_carries_the_data_folders(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("desktop/_data/resources/playbook.json", "desktop/_data/resources/recommendation_rules.json",
                   "desktop/_data/report_templates/memo.html", "desktop/_data/report_templates/memo.css"):
        assert needed in names, needed
    fonts = [n for n in names if n.startswith("desktop/_data/resources/fonts/")]
    assert fonts, "no fonts: the memo could not embed its typefaces"
    on_disk = {p.relative_to(REPO).as_posix() for folder in ("resources", "report_templates")
               for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {"desktop/_data/" + p for p in on_disk} <= names
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA")
    assert b"Requires-Dist: pyside6-essentials<6.11,>=6.10" in metadata


def test_ipw_runs_from_a_fresh_venv(wheel, tmp_path):
    venv = fresh_venv(tmp_path / "venv")
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-index",
         "-c", str(REPO / "packaging" / "constraints.txt"), str(wheel)], cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IPW_DATA_ROOT")}
    env["IPW_FORBID_NETWORK"] = "1"
    where = run([python, "-c", "import desktop, desktop.paths; print(desktop.__file__); "
                 "print(desktop.paths.data_root())"], cwd=work, env=env).stdout.split()
    site = str(venv.resolve())
    assert where[0].startswith(site) and where[1].startswith(site) and where[1].endswith("desktop/_data"), where
    ipw = str(venv / "bin" / "ipw")
    run([ipw, "new", "x.ipwb", "--sample"], cwd=work, env=env)
    # signed off (a draft verifies as exit 4, "nothing was signed"), with a key: the memo is PDF-signed too
    env["IPW_USER_DATA_DIR"], env["IPW_USER_CONFIG_DIR"] = str(tmp_path / "data"), str(tmp_path / "config")
    run([ipw, "keygen"], cwd=work, env=env)
    run([ipw, "sign", "x.ipwb", "--name", "A", "--role", "B", "--decision", "approve"], cwd=work, env=env)
    run([ipw, "export", "x.ipwb", "--pdf", "m.pdf"], cwd=work, env=env)
    assert (work / "m.pdf").read_bytes()[:5] == b"%PDF-"
    verified = run([ipw, "verify", "m.pdf", "--workbook", "x.ipwb"], cwd=work, env=env)
    assert "Traceback" not in verified.stdout + verified.stderr
    assert "[ok  ] PDF signature: PAdES signature intact and valid" in verified.stdout  # pyHanko from the wheel's deps
