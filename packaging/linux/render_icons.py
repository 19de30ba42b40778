"""Render the application icon (procurement-workbook.svg) to the PNG sizes of the hicolor theme.

    .venv/bin/python packaging/linux/render_icons.py          # rewrite packaging/linux/icons/*.png
    .venv/bin/python packaging/linux/render_icons.py --check  # exit 1 if a PNG is missing or stale

Uses Qt's own SVG renderer (QtSvg from PySide6), so no extra tool is needed. The PNGs are committed;
run this after changing the SVG, and copy the SVG to resources/icons/ too (the window icon).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "procurement-workbook.svg"
ICONS = HERE / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    return ICONS / f"procurement-workbook-{size}.png"


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    _app = QGuiApplication.instance() or QGuiApplication([])
    check = "--check" in argv
    ICONS.mkdir(exist_ok=True)
    stale = []
    for size in SIZES:
        image = render(size)
        target = png_path(size)
        if check:
            current = QImage(str(target)) if target.is_file() else QImage()
            if current.isNull() or current.size() != image.size() or \
                    current.convertToFormat(image.format()) != image:
                stale.append(target.name)
            continue
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        print(f"wrote {target.relative_to(HERE.parent.parent)}")
    if stale:
        print("stale or missing icons (run packaging/linux/render_icons.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
