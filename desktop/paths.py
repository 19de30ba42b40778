"""The one module that knows where files live: bundled resources, report templates, user data and config.

Three layouts are supported:
- development: a checkout, `resources/` and `report_templates/` beside the `desktop/` package;
- installed: a wheel puts them under `desktop/_data/` (setup.py copies them in when the wheel is built);
- frozen: a PyInstaller bundle unpacks them under `sys._MEIPASS`.
No other module builds paths from `__file__`.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import platformdirs

APP_NAME = "inference-procurement-workbook"
APP_AUTHOR = "ipw"


def _candidate_roots() -> list[Path]:
    package_dir = Path(__file__).resolve().parent
    roots = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        roots.append(Path(sys._MEIPASS))
    roots.append(package_dir / "_data")
    roots.append(package_dir.parent)
    return roots


@cache
def data_root() -> Path:
    """The folder that holds `resources/` and `report_templates/`."""
    override = os.environ.get("IPW_DATA_ROOT")
    if override:
        return Path(override)
    for root in _candidate_roots():
        if (root / "resources" / "playbook.json").is_file():
            return root
    raise FileNotFoundError("cannot find the app's resources/ folder (is the installation complete?)")


def resources_dir() -> Path:
    return data_root() / "resources"


def resource(name: str) -> Path:
    return resources_dir() / name


def report_templates_dir() -> Path:
    return data_root() / "report_templates"


def third_party_notices() -> Path | None:
    """The license notices of the bundled third-party components: generated into a bundle's data root
    by packaging/ipw.spec (packaging/third_party.py); a development checkout has none."""
    path = data_root() / "THIRD_PARTY_NOTICES.txt"
    return path if path.is_file() else None


def user_data_dir() -> Path:
    """Per-user data: the sample workbook copy, recovery copies, signing keys."""
    override = os.environ.get("IPW_USER_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir() -> Path:
    override = os.environ.get("IPW_USER_CONFIG_DIR")
    path = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_cache_dir() -> Path:
    """Per-user results that can be recomputed at any time (desktop.storage.derived_cache)."""
    override = os.environ.get("IPW_USER_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def recovery_dir() -> Path:
    """Working copies of open workbooks: user-only (0700), as the copies are (0600), since they hold the
    workbook's content and other local users must not read them."""
    path = user_data_dir() / "recovery"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix" and (path.stat().st_mode & 0o777) != 0o700:
        os.chmod(path, 0o700)
    return path
