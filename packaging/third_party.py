"""The third-party license notice file shipped in the bundle (THIRD_PARTY_NOTICES.txt).

Built from what is installed, never typed by hand:
- Python distributions: name, version, the license from their metadata (License-Expression, License,
  or the trove classifiers) and the full text of every license file their wheel ships;
- the Python interpreter itself (its LICENSE.txt) and PyInstaller's bootloader (GPL-2.0-or-later
  with the bootloader exception);
- native libraries copied from the build system (on Debian: GLib, Pango, HarfBuzz, fontconfig, the
  xcb libraries, ...), each with its Debian package, version and /usr/share/doc/<package>/copyright.

Where a distribution ships no license file (PySide6-Essentials and shiboken6 do not), the texts named
by its SPDX expression are taken from /usr/share/common-licenses when the build system has them.

The bundle's spec (packaging/ipw.spec) calls `write_notices()` with the files PyInstaller collected,
so the notice lists exactly what is in the bundle. On its own:

    .venv/bin/python packaging/third_party.py [--out FILE]

writes the notice for the project's run-time dependency closure (what `pip install .` pulls in).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PROJECT_DIST = "inference-procurement-workbook"
APP_NAME = "Inference Procurement Workbook"
NOTICE_FILE_NAME = "THIRD_PARTY_NOTICES.txt"
LICENSE_FILE_RE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|COPYRIGHT)", re.IGNORECASE)
COMMON_LICENSES = Path("/usr/share/common-licenses")
# SPDX identifier -> file under /usr/share/common-licenses (Debian's base-files)
SPDX_COMMON = {"Apache-2.0": "Apache-2.0", "GPL-2.0-only": "GPL-2", "GPL-2.0-or-later": "GPL-2",
               "GPL-3.0-only": "GPL-3", "GPL-3.0-or-later": "GPL-3", "LGPL-2.1-only": "LGPL-2.1",
               "LGPL-2.1-or-later": "LGPL-2.1", "LGPL-3.0-only": "LGPL-3", "LGPL-3.0-or-later": "LGPL-3",
               "MPL-2.0": "MPL-2.0", "CC0-1.0": "CC0-1.0"}
RULE = "=" * 100
THIN_RULE = "-" * 100


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Component:
    """One notice entry: a Python distribution, the interpreter, the bootloader or a system package."""

    name: str
    version: str
    license: str
    kind: str  # "python" | "interpreter" | "bootloader" | "system"
    homepage: str = ""
    contents: list[str] = field(default_factory=list)  # what of it is in the bundle (system libraries)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (title, full text)


# --- Python distributions ------------------------------------------------------------------

def _all_distributions() -> dict[str, metadata.Distribution]:
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name and canonical(name) not in found:
            found[canonical(name)] = dist
    return found


def runtime_closure(root: str = PROJECT_DIST) -> list[metadata.Distribution]:
    """The installed distributions `root` needs at run time (no extras), `root` itself left out."""
    from packaging.requirements import Requirement

    installed = _all_distributions()
    seen: set[str] = set()
    todo = [canonical(root)]
    while todo:
        name = todo.pop()
        dist = installed.get(name)
        if dist is None or name in seen:
            continue
        seen.add(name)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(canonical(req.name))
    seen.discard(canonical(root))
    return [installed[n] for n in sorted(seen)]


def _file_owners() -> dict[str, metadata.Distribution]:
    """Absolute path of every installed file -> the distribution that installed it."""
    owners: dict[str, metadata.Distribution] = {}
    for dist in _all_distributions().values():
        for entry in dist.files or []:
            try:
                owners[os.path.realpath(dist.locate_file(entry))] = dist
            except (OSError, ValueError):
                continue
    return owners


def _license_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80 and text.upper() != "UNKNOWN":
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return " / ".join(classifiers)
    return "see the license text below" if text else "not stated in its metadata"


def _homepage(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    if meta.get("Home-page"):
        return meta["Home-page"]
    for url in meta.get_all("Project-URL") or []:
        label, _, address = url.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "source code", "repository"):
            return address.strip()
    return ""


def _license_texts(dist: metadata.Distribution, license_expression: str) -> list[tuple[str, str]]:
    texts = []
    for entry in dist.files or []:
        parts = Path(str(entry)).parts
        in_metadata = parts and parts[0].endswith(".dist-info")
        if not in_metadata or not LICENSE_FILE_RE.match(entry.name):
            continue
        try:
            text = Path(dist.locate_file(entry)).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        texts.append(("/".join(parts[1:]), text.strip()))
    if not texts:
        texts = _common_license_texts(license_expression)
    return texts


def _common_license_texts(expression: str) -> list[tuple[str, str]]:
    texts = []
    wanted = []
    for spdx in re.findall(r"[A-Za-z0-9.+-]+", expression):
        name = SPDX_COMMON.get(spdx)
        if name and name not in wanted:
            wanted.append(name)
        if name == "LGPL-3" and "GPL-3" not in wanted:
            wanted.append("GPL-3")  # the LGPLv3 is a set of additional permissions on the GPLv3
    for name in wanted:
        path = COMMON_LICENSES / name
        if path.is_file():
            texts.append((f"{name} (from {path}; the distribution ships no license file)",
                          path.read_text(encoding="utf-8", errors="replace").strip()))
    return texts


CONTENTS = {"pyside6-essentials": ["the PySide6 bindings and the Qt 6 libraries and plugins (used under the "
                                     "LGPL-3.0; Qt's sources: https://download.qt.io/)"],
            "shiboken6": ["the binding generator's run-time library (used under the LGPL-3.0)"]}


def python_component(dist: metadata.Distribution) -> Component:
    license_ = _license_of(dist)
    return Component(name=dist.metadata["Name"], version=dist.version, license=license_, kind="python",
                     homepage=_homepage(dist), contents=CONTENTS.get(canonical(dist.metadata["Name"]), []),
                     texts=_license_texts(dist, license_))


# --- the interpreter and the bootloader --------------------------------------------------------

def interpreter_component() -> Component:
    candidates = [Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
                  / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt",
                  Path(sys.base_prefix) / "share" / "doc" / f"python{sys.version_info.major}.{sys.version_info.minor}"
                  / "copyright"]
    texts = [(p.name, p.read_text(encoding="utf-8", errors="replace").strip())
             for p in candidates if p.is_file()][:1]
    return Component(name="Python", version=sys.version.split()[0], license="PSF-2.0", kind="interpreter",
                     homepage="https://www.python.org/", contents=["the interpreter and its standard library"],
                     texts=texts)


def bootloader_component() -> Component | None:
    dist = _all_distributions().get("pyinstaller")
    if dist is None:
        return None
    component = python_component(dist)
    component.name = "PyInstaller bootloader"
    component.kind = "bootloader"
    component.license = "GPL-2.0-or-later WITH Bootloader-exception"
    component.contents = ["the executables' start-up code (the bootloader and its pyimod* modules); "
                          "the rest of PyInstaller is not bundled"]
    return component


# --- native libraries from the build system ------------------------------------------------------

def _dpkg_owner(path: str) -> str | None:
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[4:])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for p in candidates:
        result = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def system_components(libraries: Iterable[str | Path]) -> list[Component]:
    """Components for native libraries that came from the system (not from a Python distribution)."""
    libraries = sorted({str(p) for p in libraries})
    if not libraries:
        return []
    if shutil.which("dpkg-query") is None:
        return [Component(name=Path(lib).name, version="", license="see the license of your system's package",
                          kind="system", contents=[lib]) for lib in libraries]
    by_package: dict[str, list[str]] = {}
    orphans = []
    for lib in libraries:
        package = _dpkg_owner(lib)
        if package is None:
            orphans.append(lib)
        else:
            by_package.setdefault(package, []).append(Path(lib).name)
    components = []
    for package, libs in sorted(by_package.items()):
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                                 text=True).stdout.strip()
        copyright_file = Path("/usr/share/doc") / package.split(":")[0] / "copyright"
        texts = []
        license_ = "see the Debian copyright file below"
        if copyright_file.is_file():
            text = copyright_file.read_text(encoding="utf-8", errors="replace").strip()
            texts.append((str(copyright_file), text))
            found = sorted({m.strip() for m in re.findall(r"^License:\s*(\S[^\n]*)$", text, re.MULTILINE)})
            if found:
                license_ = ", ".join(found[:6]) + (" (and others, see below)" if len(found) > 6 else "")
        components.append(Component(name=f"{package} (Debian package)", version=version, license=license_,
                                    kind="system", contents=sorted(libs), texts=texts))
    components += [Component(name=Path(lib).name, version="", license="unknown: not from a Debian package",
                             kind="system", contents=[lib]) for lib in orphans]
    return components


# --- putting it together ------------------------------------------------------------------------

def classify_files(files: Iterable[str | Path]) -> tuple[list[metadata.Distribution], list[str]]:
    """Split collected source files into the distributions that own them and system libraries."""
    owners = _file_owners()
    stdlib_roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    # the project itself, and PyInstaller, whose bootloader and start-up modules (pyimod*) are in
    # every bundle: they are listed once, as "PyInstaller bootloader"
    skipped = {canonical(PROJECT_DIST), "pyinstaller", "pyinstaller-hooks-contrib"}
    dists: dict[str, metadata.Distribution] = {}
    system: list[str] = []
    for file in files:
        real = os.path.realpath(str(file))
        dist = owners.get(real)
        if dist is not None:
            if canonical(dist.metadata["Name"]) not in skipped:
                dists.setdefault(canonical(dist.metadata["Name"]), dist)
            continue
        if any(real.startswith(root + os.sep) for root in stdlib_roots):
            continue  # the interpreter, its standard library, or the project's own sources
        if re.search(r"\.(so(\.[0-9.]+)?|dylib|dll)$", real) and (real.startswith("/usr/") or real.startswith("/lib")):
            system.append(str(file))
    return [dists[n] for n in sorted(dists)], system


def collect(distributions: Iterable[metadata.Distribution], system_libraries: Iterable[str | Path] = (),
            *, bundle: bool = True) -> list[Component]:
    components = [interpreter_component()]
    if bundle:
        loader = bootloader_component()
        if loader is not None:
            components.append(loader)
    components += sorted((python_component(d) for d in distributions), key=lambda c: c.name.lower())
    components += system_components(system_libraries)
    return components


def render(components: list[Component], app_version: str) -> str:
    lines = [f"{APP_NAME} {app_version}: third-party software notices", RULE, "",
             "This software bundles the third-party components listed below, each under its own license.",
             "The full license texts follow the summary. Libraries under the LGPL (Qt through PySide6, GLib,",
             "Pango, HarfBuzz, ...) are shipped as separate shared libraries in the bundle's _internal/ folder",
             "and may be replaced by compatible builds.", "",
             f"{'Component':<44} {'Version':<28} License", THIN_RULE]
    for c in components:
        version = c.version if len(c.version) <= 27 else c.version[:24] + "..."
        license_ = c.license if len(c.license) <= 70 else c.license[:56].rstrip(" ,/") + " ... (see below)"
        lines.append(f"{c.name:<44} {version:<28} {license_}")
    lines.append("")
    for c in components:
        lines += [RULE, f"{c.name} {c.version}".rstrip(), f"License: {c.license}"]
        if c.homepage:
            lines.append(f"Home page: {c.homepage}")
        if c.contents:
            lines.append("In the bundle: " + ", ".join(c.contents))
        if not c.texts:
            lines.append("(no license text found in its metadata)")
        for title, text in c.texts:
            lines += [THIN_RULE, f"{title}:", "", text]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def app_version() -> str:
    try:
        return metadata.version(PROJECT_DIST)
    except metadata.PackageNotFoundError:
        root = Path(__file__).resolve().parent.parent
        match = re.search(r'__version__\s*=\s*"([^"]+)"', (root / "desktop" / "__init__.py").read_text())
        return match.group(1) if match else "unknown"


def write_notices(out: Path, files: Iterable[str | Path] | None = None, version: str | None = None) -> Path:
    """Write the notice for the collected `files` (None: the project's run-time dependency closure)."""
    if files is None:
        components = collect(runtime_closure(), bundle=False)
    else:
        dists, system = classify_files(files)
        components = collect(dists, system)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(components, version or app_version()), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(NOTICE_FILE_NAME), help=f"default ./{NOTICE_FILE_NAME}")
    args = parser.parse_args(argv)
    path = write_notices(args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
