"""The set-up script, the package list, the lock and the CI entry point (no network).

packaging/setup.sh runs in a copy of the project with stand-ins for dpkg-query, apt-get, id
and python3 on PATH; the stand-ins log what they are asked to do, so the tests see which
steps ran.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SETUP = REPO / "packaging" / "setup.sh"
PACKAGES = REPO / "packaging" / "debian-packages.txt"
CONSTRAINTS = REPO / "packaging" / "constraints.txt"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


def parse_package_list(text: str) -> list[str]:
    names: list[str] = []
    for line in text.splitlines():
        names.extend(line.split("#", 1)[0].split())
    return names


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- the package list -----------------------------------------------------------------------


def test_package_list_parses_and_names_the_stack():
    names = parse_package_list(PACKAGES.read_text(encoding="utf-8"))
    assert names, "no packages listed"
    bad = [n for n in names if not DEBIAN_NAME.match(n)]
    assert not bad, f"not Debian package names: {bad}"
    assert len(names) == len(set(names)), "a package is listed twice"
    required = {
        "python3", "python3-venv",  # the venv on Debian
        "libgl1", "libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3",  # Qt offscreen
        "xvfb", "xauth", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",  # Xvfb window
        "libpangoft2-1.0-0", "libharfbuzz-subset0",  # WeasyPrint
        "poppler-utils", "fonts-dejavu-core", "libreoffice-calc-nogui",
        "desktop-file-utils", "appstream", "binutils",
    }
    assert required <= set(names), f"missing: {sorted(required - set(names))}"


def test_setup_script_reads_the_package_list_the_same_way():
    out = subprocess.run(
        ["bash", str(SETUP), "packages"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert out == parse_package_list(PACKAGES.read_text(encoding="utf-8"))


# --- the lock -------------------------------------------------------------------------------


def test_pyproject_gives_ranges_and_the_constraints_pin_a_version_inside_each():
    from packaging.requirements import Requirement

    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version.strip(), f"not an exact pin: {line!r}"
        pins[canonical(name)] = version.strip()
    assert "inference-procurement-workbook" not in pins, "the project itself is in the lock"
    assert "pip" in pins, "pip is not pinned"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    for text in requirements:
        requirement = Requirement(text)
        name = canonical(requirement.name)
        assert name in pins, f"{name} (pyproject.toml) is not in packaging/constraints.txt: run `make lock`"
        assert not any(spec.operator in ("==", "===") for spec in requirement.specifier), (
            f"{text}: pyproject.toml gives a range; exact pins belong in packaging/constraints.txt")
        assert requirement.specifier, f"{text}: give the range the code is written against"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}: constraints.txt pins {pins[name]}, outside pyproject.toml's {requirement.specifier}: "
            "run `make lock`")


def test_benchmarks_under_tests_perf_are_not_collected(tmp_path):
    options = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"][
        "ini_options"
    ]
    assert "tests/perf" in options["norecursedirs"]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        f"testpaths = {options['testpaths']!r}\n".replace("'", '"')
        + f"norecursedirs = {options['norecursedirs']!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    (tmp_path / "tests" / "perf").mkdir(parents=True)
    (tmp_path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    (tmp_path / "tests" / "perf" / "test_bench.py").write_text("def test_bench():\n    pass\n")
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:qt", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True,
    ).stdout
    assert "test_unit.py::test_unit" in collected
    assert "test_bench" not in collected


# --- the CI entry point and the README --------------------------------------------------------


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section.group(1), re.S)
    assert block, "the quick start has no code block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [c for c in commands if c]


def test_readme_quick_start_is_two_commands():
    assert quick_start_commands() == ["make run", "make test"]


def test_ci_run_calls_the_readme_test_command_and_nothing_else():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert script[0].startswith("#!") and "bash" in script[0]
    boilerplate = {"set -euo pipefail", 'cd "$(dirname "$0")/.."'}
    commands = [
        line.strip() for line in script[1:]
        if line.strip() and not line.strip().startswith("#") and line.strip() not in boilerplate
    ]
    test_command = [c for c in quick_start_commands() if "test" in c]
    assert commands == test_command
    assert "set -euo pipefail" in [line.strip() for line in script]


def test_make_targets_delegate_to_the_setup_script():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipes = dict(re.findall(r"^([a-z]+):[^\n]*\n\t@?([^\n]*)", makefile, re.M))
    setup = "bash packaging/setup.sh"
    assert recipes["test"].replace("$(SETUP)", setup).startswith(f"{setup} test")
    assert recipes["run"].replace("$(SETUP)", setup).startswith(f"{setup} run")
    assert "SETUP := bash packaging/setup.sh" in makefile
    text = SETUP.read_text(encoding="utf-8")
    assert 'exec "$VENV/bin/ipw" open --sample' in text


# --- the set-up script, with stand-ins --------------------------------------------------------


def _write_exe(path: Path, body: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class Sandbox:
    """A copy of the project's set-up inputs, with logging stand-ins for the system tools."""

    def __init__(self, root: Path, packages: list[str]):
        self.root = root
        self.project = root / "project"
        (self.project / "packaging").mkdir(parents=True)
        for rel in ("pyproject.toml", "packaging/setup.sh", "packaging/constraints.txt"):
            shutil.copy2(REPO / rel, self.project / rel)
        self.packages_file = self.project / "packaging" / "debian-packages.txt"
        self.packages_file.write_text(
            "# test list\npython3 python3-venv  # the venv\n" + "\n".join(packages) + "\n"
        )
        self.log = root / "log"
        self.log.touch()
        self.installed = root / "installed"
        self.installed.touch()
        self.bin = root / "bin"
        self.bin.mkdir()
        _write_exe(self.bin / "dpkg-query", """\
            for a in "$@"; do
                case "$a" in -*) continue ;; esac
                if grep -qxF "$a" "$STUB_ROOT/installed"; then echo "$a installed";
                else echo "dpkg-query: no packages found matching $a" >&2; fi
            done
            exit 0
            """)
        _write_exe(self.bin / "apt-get", """\
            echo "apt-get $*" >>"$STUB_ROOT/log"
            seen=0
            for a in "$@"; do
                [ "$a" = install ] && { seen=1; continue; }
                case "$a" in -*|DPkg::*|Dpkg::*) continue ;; esac
                [ $seen = 1 ] && echo "$a" >>"$STUB_ROOT/installed"
            done
            exit 0
            """)
        _write_exe(self.bin / "id", 'if [ "$1" = -u ]; then echo "$STUB_UID"; else exec /usr/bin/id "$@"; fi\n')
        # The venv's python: logs pip and pytest calls; lint-imports logs too.
        venv_python = """\
            if [ "$1" = -c ]; then exit 0; fi
            echo "venv-python $*" >>"$STUB_ROOT/log"
            if [ "$1 $2" = "-m pytest" ]; then
                echo "QT_QPA_PLATFORM=$QT_QPA_PLATFORM" >>"$STUB_ROOT/log"
                exit "${STUB_PYTEST_RC:-0}"
            fi
            exit 0
            """
        (root / "venv-python").write_text(textwrap.dedent(venv_python))
        _write_exe(self.bin / "python3", f"""\
            if [ "$1" = -c ]; then exit 0; fi
            if [ "$1" = -V ]; then echo "Python 3.11.99"; exit 0; fi
            if [ "$1 $2" = "-m venv" ]; then
                echo "python3 $*" >>"$STUB_ROOT/log"
                for d; do :; done
                mkdir -p "$d/bin"
                {{ echo '#!/usr/bin/env bash'; cat "{root}/venv-python"; }} >"$d/bin/python"
                printf '#!/usr/bin/env bash\\necho "lint-imports $*" >>"$STUB_ROOT/log"\\n' >"$d/bin/lint-imports"
                chmod +x "$d/bin/python" "$d/bin/lint-imports"
                exit 0
            fi
            echo "unexpected python3 $*" >&2; exit 99
            """)

    def run(self, *args: str, uid: int = 0, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("IPW_SETUP", "IPW_SKIP", "IPW_VENV", "PYTHON", "STUB_"))
        }
        environ.update(
            PATH=f"{self.bin}:{environ.get('PATH', '/usr/bin:/bin')}",
            STUB_ROOT=str(self.root), STUB_UID=str(uid), TMPDIR=str(self.root), **env,
        )
        return subprocess.run(
            ["bash", str(self.project / "packaging" / "setup.sh"), *args],
            cwd=self.root, env=environ, capture_output=True, text=True, timeout=60,
        )

    def take_log(self) -> list[str]:
        lines = self.log.read_text().splitlines()
        self.log.write_text("")
        return lines

    @property
    def stamp(self) -> Path:
        return self.project / ".venv" / ".ipw-setup-stamp"


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path, ["libfoo1", "libbar-2.0-0"])


def test_first_run_installs_what_is_missing_then_nothing_more(sandbox):
    sandbox.installed.write_text("python3\npython3-venv\n")
    result = sandbox.run("setup")
    assert result.returncode == 0, result.stderr
    log = sandbox.take_log()
    apt = [line for line in log if line.startswith("apt-get")]
    assert len(apt) == 2 and " update" in apt[0]
    assert apt[1].endswith("install -y --no-install-recommends libfoo1 libbar-2.0-0")
    assert any(line.startswith("python3 -m venv") for line in log)
    pip = [line for line in log if "-m pip install" in line]
    assert pip[-1] == "venv-python -m pip install --disable-pip-version-check -q -c packaging/constraints.txt -e .[test]"
    assert sandbox.stamp.is_file()
    assert sandbox.run("check").returncode == 0

    again = sandbox.run("setup")
    assert again.returncode == 0, again.stderr
    assert sandbox.take_log() == [], "a second set-up did work again"


@pytest.mark.parametrize(
    "changed", ["pyproject.toml", "packaging/constraints.txt", "packaging/debian-packages.txt"]
)
def test_a_changed_input_invalidates_the_stamp(sandbox, changed):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\nlibbar-2.0-0\n")
    assert sandbox.run("check").returncode == 1
    assert sandbox.run("setup").returncode == 0
    assert not any(line.startswith("apt-get") for line in sandbox.take_log()), "apt-get ran with nothing missing"
    assert sandbox.run("check").returncode == 0

    with open(sandbox.project / changed, "a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    assert sandbox.run("check").returncode == 1
    assert sandbox.run("setup").returncode == 0
    log = sandbox.take_log()
    assert not any(line.startswith(("apt-get", "python3 -m venv")) for line in log), log
    assert any("-e .[test]" in line for line in log)
    assert sandbox.run("check").returncode == 0


def test_force_ignores_the_stamp(sandbox):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\nlibbar-2.0-0\n")
    assert sandbox.run("setup").returncode == 0
    sandbox.take_log()
    assert sandbox.run("--force", "setup").returncode == 0
    assert any("-e .[test]" in line for line in sandbox.take_log())


def test_not_root_prints_the_exact_sudo_command_and_fails(sandbox):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\n")
    result = sandbox.run("setup", uid=1000)
    assert result.returncode != 0
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends libbar-2.0-0\n" in result.stderr
    assert sandbox.take_log() == [], "something was installed without root"
    assert not sandbox.stamp.exists()


def test_not_root_with_nothing_missing_sets_up_the_venv(sandbox):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\nlibbar-2.0-0\n")
    result = sandbox.run("setup", uid=1000)
    assert result.returncode == 0, result.stderr
    assert sandbox.stamp.is_file()


def test_a_bad_package_name_is_named(sandbox):
    sandbox.packages_file.write_text("python3\nBad_Name\n")
    result = sandbox.run("setup")
    assert result.returncode != 0
    assert "'Bad_Name' is not a Debian package name" in result.stderr
    assert sandbox.take_log() == []


def test_test_command_runs_pytest_offscreen_then_lint_imports(sandbox):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\nlibbar-2.0-0\n")
    result = sandbox.run("test", "-k", "x")
    assert result.returncode == 0, result.stderr
    log = sandbox.take_log()
    assert "venv-python -m pytest -k x" in log
    assert "QT_QPA_PLATFORM=offscreen" in log
    assert log[-1] == "lint-imports --no-cache --no-logo"


@pytest.mark.parametrize("rc", [1, 5])
def test_test_command_fails_when_pytest_fails_or_collects_nothing(sandbox, rc):
    sandbox.installed.write_text("python3\npython3-venv\nlibfoo1\nlibbar-2.0-0\n")
    result = sandbox.run("test", STUB_PYTEST_RC=str(rc))
    assert result.returncode == rc
    if rc == 5:
        assert "pytest collected no tests" in result.stderr


def test_ci_run_script_is_executable_bash():
    ci = REPO / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    subprocess.run(["bash", "-n", str(ci)], check=True)
    subprocess.run(["bash", "-n", str(SETUP)], check=True)


# --- the root conftest: headless, isolated user folders, no hanging dialogs --------------------

_seen_roots: list[Path] = []


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_its_own_user_folders(user_dirs, run):
    from desktop import paths

    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert "DISPLAY" not in os.environ
    assert Path(os.environ["HOME"]) == user_dirs.home == Path.home()
    assert paths.user_data_dir() == user_dirs.data
    assert paths.user_config_dir() == user_dirs.config
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(os.environ[var]).is_relative_to(user_dirs.root)
    assert user_dirs.root not in _seen_roots
    _seen_roots.append(user_dirs.root)


def test_qsettings_write_into_the_test_folder(user_dirs, qapp):
    from PySide6.QtCore import QSettings

    native = QSettings("ipw", "probe")
    native.setValue("k", 1)
    native.sync()
    assert Path(native.fileName()).is_relative_to(user_dirs.qsettings)
    ini = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "ipw", "probe")
    assert Path(ini.fileName()).is_relative_to(user_dirs.qsettings)


def test_a_modal_dialog_left_open_fails_the_test_instead_of_hanging(tmp_path):
    shutil.copy2(REPO / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_modal.py").write_text(textwrap.dedent("""\
        from PySide6.QtWidgets import QMessageBox, QWidget

        def test_asks(qtbot):
            w = QWidget()
            qtbot.addWidget(w)
            answer = QMessageBox.question(w, "Unsaved changes", "Save?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel)
            assert answer == QMessageBox.StandardButton.Cancel
        """))
    env = {**os.environ, "IPW_TEST_MODAL_TIMEOUT": "0.5"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "qt_api=pyside6", "--rootdir", str(tmp_path), str(tmp_path / "test_modal.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "a modal dialog stayed open" in result.stdout
    assert "'Unsaved changes'" in result.stdout and "answered 'Cancel'" in result.stdout
