"""Linux desktop integration: the .desktop entry, AppStream metadata, MIME type and icons validate, and
packaging/install.sh / uninstall.sh put them in place (and take them away) for one user.

The install tests use a stand-in bundle (an `ipw` shell script that records its arguments), so they run
in seconds without building anything; tests/packaging/test_bundle.py installs the real bundle.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import desktop

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.ipw.ProcurementWorkbook"
MIME_TYPE = "application/x-ipw-workbook"
DESKTOP_FILE = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
MIME_XML = LINUX / f"{APP_ID}.mime.xml"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ON_DEBIAN = shutil.which("dpkg-query") is not None


def tool(name: str) -> str:
    """A validator from packaging/debian-packages.txt: required on Debian, skipped elsewhere."""
    path = shutil.which(name)
    if path is None:
        if ON_DEBIAN:
            pytest.fail(f"{name} is missing: run `make setup` (packaging/debian-packages.txt installs it)")
        pytest.skip(f"{name} is not installed (not a Debian system)")
    return path


def read_desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


# --- the files themselves ---------------------------------------------------------------------------

def test_desktop_entry_validates() -> None:
    result = subprocess.run([tool("desktop-file-validate"), str(DESKTOP_FILE)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    entry = read_desktop_entry(DESKTOP_FILE)
    assert entry["Icon"] == APP_ID
    assert entry["MimeType"].split(";")[0] == MIME_TYPE
    assert entry["Exec"] == "procurement-workbook %f"  # install.sh makes it an absolute path


def test_appstream_metadata_validates_and_matches_the_app() -> None:
    result = subprocess.run([tool("appstreamcli"), "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.find("launchable").text == DESKTOP_FILE.name
    assert component.find("releases/release").get("version") == desktop.__version__, \
        "add a <release> for the new version to the metainfo file"
    assert MIME_TYPE in [m.text for m in component.findall("provides/mediatype")]


def test_mime_definition_maps_ipwb_files_to_the_desktop_entry_type() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ET.parse(MIME_XML).getroot().find("m:mime-type", ns)
    assert mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall("m:glob", ns)] == ["*.ipwb"]
    assert mime.find("m:icon", ns).get("name") == APP_ID


def test_icons_are_rendered_from_the_svg_in_every_size() -> None:
    svg = (LINUX / "procurement-workbook.svg").read_bytes()
    assert (ROOT / "resources" / "icons" / "procurement-workbook.svg").read_bytes() == svg, \
        "copy packaging/linux/procurement-workbook.svg to resources/icons/ (the window icon)"
    from PySide6.QtGui import QImage

    for size in ICON_SIZES:
        image = QImage(str(LINUX / "icons" / f"procurement-workbook-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
    result = subprocess.run([sys.executable, str(LINUX / "render_icons.py"), "--check"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- install.sh / uninstall.sh ----------------------------------------------------------------------

FAKE_IPW = """#!/bin/sh
printf '%s\\n' "$@" >"$IPW_FAKE_RECORD"
[ "$1" = "--version" ] && echo "ipw 0.1.0 (stand-in)"
exit 0
"""


def make_fake_bundle(folder: Path, with_share: bool = False) -> Path:
    folder.mkdir(parents=True)
    (folder / "_internal").mkdir()
    ipw = folder / "ipw"
    ipw.write_text(FAKE_IPW)
    ipw.chmod(0o755)
    if with_share:  # as build.py lays a real bundle out
        share = folder / "share"
        share.mkdir()
        for name in (DESKTOP_FILE, METAINFO, MIME_XML, LINUX / "procurement-workbook.svg"):
            shutil.copy2(name, share / name.name)
        shutil.copytree(LINUX / "icons", share / "icons")
        for script in ("install.sh", "uninstall.sh"):
            shutil.copy2(ROOT / "packaging" / script, folder / script)
    return folder


class Home:
    """A throw-away HOME (with a space in its path) and XDG folders for one user."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home dir"
        self.data = self.home / "xdg data"
        self.config = self.home / "xdg config"
        self.record = root / "ipw-arguments.txt"
        for path in (self.home, self.data, self.config):
            path.mkdir(parents=True, exist_ok=True)
        self.env = {
            "HOME": str(self.home), "XDG_DATA_HOME": str(self.data), "XDG_CONFIG_HOME": str(self.config),
            "XDG_DATA_DIRS": "/usr/local/share:/usr/share", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "IPW_FAKE_RECORD": str(self.record), "LANG": "C.UTF-8",
        }
        self.bin = self.home / ".local" / "bin"
        self.lib = self.home / ".local" / "lib" / "inference-procurement-workbook"
        self.apps = self.data / "applications"

    def run(self, *command: str | Path, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(c) for c in command], env=self.env, capture_output=True, text=True,
                                timeout=120)
        if check:
            assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        return result

    def recorded(self) -> list[str]:
        return self.record.read_text().splitlines()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def installed_paths(home: Home) -> list[Path]:
    paths = [home.bin / "ipw", home.bin / "procurement-workbook", home.apps / f"{APP_ID}.desktop",
             home.data / "metainfo" / f"{APP_ID}.metainfo.xml", home.data / "mime" / "packages" / f"{APP_ID}.xml",
             home.data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"]
    paths += [home.data / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES]
    return paths


def exec_command(entry: configparser.SectionProxy, file: Path) -> list[str]:
    """The command a desktop would run for Exec= with one file (%f), unquoted per the spec."""
    exec_line = entry["Exec"].replace("\\\\", "\\")
    return [str(file) if word == "%f" else word for word in shlex.split(exec_line)]


def test_install_puts_a_working_launcher_and_the_mime_association_in_place(home: Home, tmp_path: Path) -> None:
    bundle = make_fake_bundle(tmp_path / "bundle")
    (home.config / "mimeapps.list").write_text("[Default Applications]\ntext/plain=other-editor.desktop\n")
    result = home.run("bash", ROOT / "packaging" / "install.sh", "--bundle", bundle)
    assert "installed ipw 0.1.0 (stand-in)" in result.stdout

    for path in installed_paths(home):
        assert path.exists(), path
    assert (home.lib / "ipw").is_file() and (home.lib / "uninstall.sh").is_file()
    assert os.readlink(home.bin / "ipw") == str(home.lib / "ipw")

    # the command line and the GUI launcher reach the bundle
    home.run(home.bin / "ipw", "info", "x.ipwb")
    assert home.recorded() == ["info", "x.ipwb"]
    workbook = tmp_path / "my workbook.ipwb"
    home.run(home.bin / "procurement-workbook", workbook)
    assert home.recorded() == ["open", str(workbook)]

    # the installed desktop entry is valid, and its Exec= runs the launcher by its full path
    installed_entry = home.apps / f"{APP_ID}.desktop"
    validate = subprocess.run([tool("desktop-file-validate"), str(installed_entry)], capture_output=True, text=True)
    assert validate.returncode == 0 and not validate.stdout.strip(), validate.stdout
    entry = read_desktop_entry(installed_entry)
    command = exec_command(entry, workbook)
    assert command == [str(home.bin / "procurement-workbook"), str(workbook)]
    assert entry["TryExec"] == str(home.bin / "procurement-workbook")
    home.run(*command)
    assert home.recorded() == ["open", str(workbook)]

    # .ipwb is the app's type, and opens with the app by default; other associations are kept
    mimeapps = configparser.ConfigParser(interpolation=None)
    mimeapps.optionxform = str
    mimeapps.read(home.config / "mimeapps.list")
    assert mimeapps["Default Applications"][MIME_TYPE] == f"{APP_ID}.desktop;"
    assert mimeapps["Default Applications"]["text/plain"] == "other-editor.desktop"
    assert mimeapps["Added Associations"][MIME_TYPE] == f"{APP_ID}.desktop;"
    if shutil.which("update-mime-database"):
        globs = (home.data / "mime" / "globs2").read_text()
        assert f"{MIME_TYPE}:*.ipwb" in globs
    if shutil.which("update-desktop-database"):
        assert f"{MIME_TYPE}={APP_ID}.desktop;" in (home.apps / "mimeinfo.cache").read_text()
    if shutil.which("gio"):  # GLib's own view, as a GNOME desktop would see it
        default = home.run("gio", "mime", MIME_TYPE).stdout
        assert f"Default application for “{MIME_TYPE}”: {APP_ID}.desktop" in default \
            or f'Default application for "{MIME_TYPE}": {APP_ID}.desktop' in default, default
        workbook.write_bytes(b"SQLite format 3\x00" + bytes(100))
        info = home.run("gio", "info", "-a", "standard::content-type", workbook).stdout
        assert f"standard::content-type: {MIME_TYPE}" in info, info


def test_install_twice_then_uninstall_leaves_nothing_but_the_users_data(home: Home, tmp_path: Path) -> None:
    bundle = make_fake_bundle(tmp_path / "bundle")
    (home.config / "mimeapps.list").write_text("[Default Applications]\ntext/plain=other-editor.desktop\n")
    user_data = home.data / "inference-procurement-workbook" / "keys" / "signing-key.pem"
    user_data.parent.mkdir(parents=True)
    user_data.write_text("private")
    home.run("bash", ROOT / "packaging" / "install.sh", "--bundle", bundle)
    home.run("bash", ROOT / "packaging" / "install.sh", "--bundle", bundle)  # a reinstall replaces, no duplicates
    mimeapps = (home.config / "mimeapps.list").read_text()
    assert mimeapps.count(f"{MIME_TYPE}=") == 2, mimeapps  # Default Applications + Added Associations

    result = home.run(home.lib / "uninstall.sh")  # the installed copy
    assert "kept your workbooks, settings and signing keys" in result.stdout
    for path in installed_paths(home):
        assert not path.exists() and not path.is_symlink(), path
    assert not home.lib.exists()
    assert MIME_TYPE not in (home.config / "mimeapps.list").read_text()
    assert "text/plain=other-editor.desktop" in (home.config / "mimeapps.list").read_text()
    assert not (home.data / "mime" / "packages").exists()
    assert not (home.apps / "mimeinfo.cache").exists()
    assert user_data.read_text() == "private"
    assert not list((home.data / "icons").rglob("*.png"))
    # a second uninstall finds nothing and says so
    assert "nothing to remove" in home.run("bash", ROOT / "packaging" / "uninstall.sh").stdout


def test_install_from_the_archive_and_with_a_prefix(home: Home, tmp_path: Path) -> None:
    """The IT department's path: an ipw-<version>-linux-<arch>.tar.gz, unpacked by install.sh itself."""
    bundle = make_fake_bundle(tmp_path / "ipw-0.1.0", with_share=True)
    archive = tmp_path / "ipw-0.1.0-linux-x86_64.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname="ipw-0.1.0")
    prefix = tmp_path / "opt prefix"
    home.run("bash", bundle / "install.sh", "--bundle", archive, "--prefix", prefix)
    lib = prefix / "lib" / "inference-procurement-workbook"
    assert (lib / "ipw").is_file() and (lib / "share" / f"{APP_ID}.desktop").is_file()
    home.run(prefix / "bin" / "procurement-workbook")
    assert home.recorded() == ["open"]
    home.run(lib / "uninstall.sh")
    assert not lib.exists() and not (prefix / "bin" / "ipw").exists()
    assert not (home.apps / f"{APP_ID}.desktop").exists()


def test_install_refuses_a_bundle_built_on_a_newer_glibc(home: Home, tmp_path: Path) -> None:
    bundle = make_fake_bundle(tmp_path / "bundle")
    (bundle / "BUILD-INFO.json").write_text('{"glibcBuiltWith": "99.1"}\n')
    result = home.run("bash", ROOT / "packaging" / "install.sh", "--bundle", bundle, check=False)
    assert result.returncode != 0
    assert re.search(r"needs glibc 99\.1 or newer; this system has \d", result.stderr), result.stderr
    assert not home.lib.exists()
