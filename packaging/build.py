"""Build the desktop bundle: `python packaging/build.py` (or `make bundle`).

1. Computes a cache key: a SHA-256 of the sources (desktop/, resources/, report_templates/), the
   packaging files (spec, this script, third_party.py, install scripts, linux/), pyproject.toml, the
   lock (packaging/constraints.txt), the distributions actually installed in the venv (name and
   version), the Python version and the platform.
2. When dist/ipw.cache-key holds that key and the bundle and its archive are there, reuses them:
   nothing is rebuilt (a second run takes about a second).
3. Otherwise runs PyInstaller on packaging/ipw.spec (one-folder bundle in dist/ipw/), adds the
   desktop-integration files (install.sh, uninstall.sh, share/: .desktop entry, AppStream metadata,
   MIME type, icons), the third-party notices and BUILD-INFO.json, then writes the versioned archive
   dist/ipw-<version>-<os>-<arch>.tar.gz (one top folder, ipw-<version>/) and finally the key file.
4. Prints the unpacked size broken down by component (and stores it in BUILD-INFO.json).

Options: --force (rebuild even when the key matches), --no-archive, --quiet (PyInstaller's log only
on failure), --print-key. Concurrent runs in the same tree wait for each other (a lock in build/).
PyInstaller's own cache goes to build/pyinstaller-cache, so the test suite's throw-away HOME does not
make it strip and analyse every binary again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "ipw.spec"
DIST = ROOT / "dist"
BUNDLE = DIST / "ipw"
KEY_FILE = DIST / "ipw.cache-key"
WORK = ROOT / "build" / "pyinstaller"
PYI_CACHE = ROOT / "build" / "pyinstaller-cache"
LOCK_FILE = ROOT / "build" / "bundle.lock"
INFO_FILE_NAME = "BUILD-INFO.json"
APP_ID = "io.ipw.ProcurementWorkbook"

# What the bundle is built from (directories are walked; __pycache__ and *.pyc are skipped).
KEY_INPUTS = ["desktop", "resources", "report_templates", "pyproject.toml", "packaging/constraints.txt",
              "packaging/ipw.spec", "packaging/build.py", "packaging/third_party.py", "packaging/install.sh",
              "packaging/uninstall.sh", "packaging/linux"]

# Size breakdown: the first matching rule names the component of a path inside the bundle.
COMPONENT_RULES = [
    (r"^_internal/(_polars_runtime|polars)", "polars (CSV parsing, aggregation)"),
    (r"^_internal/(PySide6/Qt/lib/libicu|libicu)", "Qt: ICU data and libraries"),
    (r"^_internal/(PySide6/Qt/plugins)/", "Qt: plugins (platforms, image formats, ...)"),
    (r"^_internal/(PySide6/Qt/|libQt6)", "Qt: libraries"),
    (r"^_internal/(PySide6|shiboken6|libpyside6|libshiboken6)", "PySide6 / shiboken6 bindings"),
    (r"^_internal/numpy", "numpy (with OpenBLAS)"),
    (r"^_internal/pyqtgraph", "pyqtgraph"),
    (r"^_internal/(weasyprint|fontTools|pyphen|tinycss2|cssselect2|tinyhtml5|pydyf|zopfli|brotli|_brotli)",
     "WeasyPrint and its Python dependencies"),
    (r"^_internal/(PIL|pillow\.libs)", "Pillow"),
    (r"^_internal/(cryptography|_cffi_backend|cffi)", "cryptography / cffi"),
    (r"^_internal/(python_calamine|openpyxl|xlsxwriter|et_xmlfile|pypdf)", "spreadsheet and PDF readers/writers"),
    (r"^_internal/(libpython|python3\.\d+/|base_library\.zip)", "Python runtime (interpreter, stdlib extensions)"),
    (r"^_internal/lib(pango|harfbuzz|fontconfig|freetype|fribidi|thai|datrie|graphite2|png16|glib|gobject|gio|"
     r"gmodule|gthread|pcre2|ffi|expat|brotli)", "native: Pango, HarfBuzz, fontconfig, GLib (WeasyPrint, Qt)"),
    (r"^_internal/lib(xcb|X|xkbcommon)", "native: X11 / xcb (Qt's xcb platform)"),
    (r"^_internal/lib", "native: other system libraries"),
    (r"^_internal/(resources|report_templates)/", "app data (playbook, catalogs, fonts, templates)"),
    (r"^_internal/", "other Python packages and data"),
    (r"^(ipw|procurement-workbook)(\.exe)?$", "executables (bootloader + compiled Python modules)"),
    (r"", "desktop integration, notices, install scripts"),
]


def say(message: str) -> None:
    print(f"build: {message}", flush=True)


# --- the cache key -------------------------------------------------------------------------------

def _input_files() -> list[Path]:
    files = []
    for name in KEY_INPUTS:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in path.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]
    return sorted(files)


def installed_distributions() -> list[str]:
    from importlib import metadata

    found = set()
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            found.add(f"{re.sub(r'[-_.]+', '-', name).lower()}=={dist.version}")
    return sorted(found)


def cache_key() -> str:
    digest = hashlib.sha256()
    for file in _input_files():
        digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    digest.update("\n".join(installed_distributions()).encode())
    digest.update(f"{sys.version}\n{sys.platform}\n{platform.machine()}".encode())
    return digest.hexdigest()


# --- names ---------------------------------------------------------------------------------------

def app_version() -> str:
    text = (ROOT / "desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not match:
        raise SystemExit("build: cannot read __version__ from desktop/__init__.py")
    return match.group(1)


def platform_tag() -> str:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower().replace("amd64", "x86_64")
    return f"{system}-{machine}"


def archive_path(version: str) -> Path:
    return DIST / f"ipw-{version}-{platform_tag()}.tar.gz"


def executable() -> Path:
    return BUNDLE / ("ipw.exe" if sys.platform == "win32" else "ipw")


# --- building ------------------------------------------------------------------------------------

def run_pyinstaller(quiet: bool) -> None:
    env = dict(os.environ, PYINSTALLER_CONFIG_DIR=str(PYI_CACHE))
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    say("running PyInstaller (a minute or two) ...")
    if quiet:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
    else:
        result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(f"build: PyInstaller failed (exit {result.returncode})")


def add_integration_files() -> None:
    """Install scripts, the Linux desktop-integration files and the notices at the bundle's top level."""
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(PACKAGING / script, BUNDLE / script)
    share = BUNDLE / "share"
    if share.exists():
        shutil.rmtree(share)
    linux = PACKAGING / "linux"
    share.mkdir()
    for name in (f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml", f"{APP_ID}.mime.xml", "procurement-workbook.svg"):
        shutil.copy2(linux / name, share / name)
    shutil.copytree(linux / "icons", share / "icons")
    notices = BUNDLE / "_internal" / "THIRD_PARTY_NOTICES.txt"
    if notices.is_file():
        shutil.copy2(notices, BUNDLE / "THIRD_PARTY_NOTICES.txt")


def glibc_needed() -> str | None:
    """The highest GLIBC_x.y symbol version any bundled ELF file references (Linux, needs objdump)."""
    if not sys.platform.startswith("linux") or shutil.which("objdump") is None:
        return None
    best: tuple[int, ...] = ()
    for path in BUNDLE.rglob("*"):
        if path.is_symlink() or not path.is_file() or not (".so" in path.name or path.name == "ipw"):
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
        for match in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out):
            best = max(best, tuple(int(x) for x in match.split(".")))
    return ".".join(map(str, best)) if best else None


def size_breakdown() -> dict:
    totals: dict[str, int] = {}
    count = 0
    for path in sorted(BUNDLE.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(BUNDLE).as_posix()
        size = path.stat().st_size
        count += 1
        for pattern, component in COMPONENT_RULES:
            if re.search(pattern, rel):
                totals[component] = totals.get(component, 0) + size
                break
    total = sum(totals.values())
    return {"totalBytes": total, "files": count,
            "components": dict(sorted(totals.items(), key=lambda kv: -kv[1]))}


def print_breakdown(sizes: dict, archive: Path | None) -> None:
    total = sizes["totalBytes"]
    print(f"\nBundle {BUNDLE.relative_to(ROOT)}/: {total / 1e6:.1f} MB unpacked in {sizes['files']} files"
          + (f"; archive {archive.relative_to(ROOT)}: {archive.stat().st_size / 1e6:.1f} MB"
             if archive and archive.is_file() else ""))
    print(f"  {'component':<62} {'MB':>7} {'share':>6}")
    for component, size in sizes["components"].items():
        print(f"  {component:<62} {size / 1e6:7.1f} {100 * size / total:5.1f}%")
    limit = "under the 400 MB target" if total < 400e6 else \
        ("ABOVE the 400 MB target" if total < 600e6 else "ABOVE 600 MB: a defect")
    print(f"  {'total':<62} {total / 1e6:7.1f}  ({limit})\n")


def write_archive(version: str) -> Path:
    """dist/ipw-<version>-<os>-<arch>.tar.gz with one top folder ipw-<version>/, owner root, sorted."""
    target = archive_path(version)
    partial = target.with_name(target.name + ".partial")
    top = f"ipw-{version}"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    say(f"writing {target.relative_to(ROOT)} ...")
    for old in DIST.glob("ipw-*.tar.gz"):
        old.unlink()
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(BUNDLE, arcname=top, recursive=False, filter=normalise)
        for path in sorted(BUNDLE.rglob("*")):
            tar.add(path, arcname=f"{top}/{path.relative_to(BUNDLE).as_posix()}", recursive=False,
                    filter=normalise)
    partial.replace(target)
    return target


def reusable(key: str, version: str, want_archive: bool) -> bool:
    if not KEY_FILE.is_file() or KEY_FILE.read_text().strip() != key:
        return False
    if not executable().is_file() or not (BUNDLE / INFO_FILE_NAME).is_file():
        return False
    return archive_path(version).is_file() or not want_archive


class BuildLock:
    """An exclusive lock in build/, so two test runs in the same tree do not build at once."""

    def __enter__(self):
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        self.handle = LOCK_FILE.open("a+")
        try:
            import fcntl
        except ImportError:  # Windows: no concurrent runs expected
            return self
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another build is running in this tree; waiting for it ...")
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def build(force: bool = False, archive: bool = True, quiet: bool = False) -> dict:
    started = time.monotonic()
    version = app_version()
    with BuildLock():
        key = cache_key()
        if not force and reusable(key, version, archive):
            info = json.loads((BUNDLE / INFO_FILE_NAME).read_text(encoding="utf-8"))
            say(f"reusing {BUNDLE.relative_to(ROOT)}/ (cache key {key[:12]} unchanged; --force rebuilds)")
            print_breakdown(info["sizes"], archive_path(version) if archive else None)
            return info
        KEY_FILE.unlink(missing_ok=True)
        run_pyinstaller(quiet)
        built = time.monotonic()
        add_integration_files()
        sizes = size_breakdown()
        info = {"app": "Inference Procurement Workbook", "version": version, "platform": platform_tag(),
                "python": platform.python_version(), "builtAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "glibcNeeded": glibc_needed(), "glibcBuiltWith": platform.libc_ver()[1] or None,
                "cacheKey": key, "pyinstallerSeconds": round(built - started, 1), "sizes": sizes}
        (BUNDLE / INFO_FILE_NAME).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        target = write_archive(version) if archive else None
        if cache_key() == key:
            KEY_FILE.write_text(key + "\n")
        else:  # a source changed while PyInstaller ran: the next run must build again
            say("warning: the sources changed during the build; not recording the cache key")
    say(f"built in {time.monotonic() - started:.0f} s (PyInstaller {info['pyinstallerSeconds']:.0f} s); "
        f"built with glibc {info['glibcBuiltWith']}, highest glibc symbol version used {info['glibcNeeded']}")
    print_breakdown(sizes, target)
    return info


def _reexec_in_venv() -> None:
    """`python packaging/build.py` with a Python that lacks PyInstaller: use the project's .venv."""
    try:
        import PyInstaller  # noqa: F401
        return
    except ImportError:
        pass
    venv_python = ROOT / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if venv_python.is_file() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    raise SystemExit("build: PyInstaller is not installed: run `make setup` (it is in the test extras)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the one-folder desktop bundle and its .tar.gz.")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache key is unchanged")
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz")
    parser.add_argument("--quiet", action="store_true", help="show PyInstaller's log only when it fails")
    parser.add_argument("--print-key", action="store_true", help="print the cache key and exit")
    args = parser.parse_args(argv)
    _reexec_in_venv()
    if args.print_key:
        print(cache_key())
        return 0
    build(force=args.force, archive=not args.no_archive, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
