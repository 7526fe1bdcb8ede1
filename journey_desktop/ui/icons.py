"""Icons from ``resources/icons/*.svg``, optionally recoloured (white on the green buttons)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from journey_desktop.paths import resource_path

BASE_COLOR = "#37474f"  # the stroke colour the SVG files are drawn in
SIZES = (16, 20, 24, 32, 48)


def icon_path(name: str) -> str:
    return str(resource_path("icons", f"{name}.svg"))


@lru_cache(maxsize=64)
def _svg(name: str) -> str:
    with open(icon_path(name), encoding="utf-8") as file:
        return file.read()


def icon(name: str, color: str | None = None) -> QIcon:
    """The named icon; with ``color``, its strokes drawn in that colour instead."""
    if color is None or color.lower() == BASE_COLOR:
        return QIcon(icon_path(name))
    renderer = QSvgRenderer(QByteArray(_svg(name).replace(BASE_COLOR, color).encode("utf-8")))
    result = QIcon()
    for size in SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap)
    return result
