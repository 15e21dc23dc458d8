"""Render resources/icons/ecgws.svg to the PNG and ICO the desktop app and its entry use.

    python packaging/make_icons.py        # writes packaging/icons/ecgws.png (256 px) and ecgws.ico

Qt's SVG renderer and its ICO image plugin do the work, so no other tool is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtGui, QtSvg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "ecgws.svg"
OUT = ROOT / "packaging" / "icons"


def render(size: int) -> QtGui.QImage:
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    QtSvg.QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    return image


def main() -> int:
    app = QtGui.QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins need it
    OUT.mkdir(parents=True, exist_ok=True)
    if not render(256).save(str(OUT / "ecgws.png")):
        print(f"error: {OUT / 'ecgws.png'}: could not be written", file=sys.stderr)
        return 1
    if not render(256).save(str(OUT / "ecgws.ico"), "ICO"):
        print(f"error: {OUT / 'ecgws.ico'}: Qt has no ICO writer here", file=sys.stderr)
        return 1
    print(f"wrote {OUT / 'ecgws.png'} and {OUT / 'ecgws.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
