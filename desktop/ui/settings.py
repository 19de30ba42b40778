"""UI state kept between sessions (window geometry, recent files, last folders): QSettings in our config dir."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from desktop import paths

MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings(str(paths.user_config_dir() / "ui.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[Path]:
    value = settings().value("recentFiles", [])
    if isinstance(value, str):
        value = [value]
    return [Path(p) for p in (value or [])]


def add_recent_file(path: Path) -> None:
    files = [p for p in recent_files() if p != Path(path)]
    files.insert(0, Path(path))
    settings().setValue("recentFiles", [str(p) for p in files[:MAX_RECENT]])


def last_folder(key: str) -> str:
    return str(settings().value(f"lastFolder/{key}", str(Path.home())))


def set_last_folder(key: str, folder: Path) -> None:
    settings().setValue(f"lastFolder/{key}", str(folder))
