"""A row of widgets that wraps onto the next line when the window is too narrow for it (a
filter bar that does not set the window's smallest width)."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new line as needed; as narrow as its widest item."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = -1) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # --- Qt overrides ----------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """One line holding every item."""
        hints = [item.sizeHint() for item in self._items if not item.isEmpty()]
        gaps = self._gap(Qt.Orientation.Horizontal) * max(0, len(hints) - 1)
        margins = self.contentsMargins()
        return QSize(sum(h.width() for h in hints) + gaps,
                     max((h.height() for h in hints), default=0)) + QSize(
            margins.left() + margins.right(), margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:
        """The widest item: every other one goes on a line of its own at worst."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    # --- placing ---------------------------------------------------------------------------

    def _gap(self, orientation: Qt.Orientation) -> int:
        if self._spacing >= 0:
            return self._spacing
        parent = self.parentWidget()
        if parent is None:
            return 6
        metric = (QStyle.PixelMetric.PM_LayoutHorizontalSpacing
                  if orientation == Qt.Orientation.Horizontal
                  else QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        gap = parent.style().pixelMetric(metric, None, parent)
        if gap < 0:  # the style spaces each pair of controls: take that of push buttons
            gap = parent.style().layoutSpacing(
                QSizePolicy.ControlType.PushButton, QSizePolicy.ControlType.PushButton,
                orientation)
        return max(0, gap)

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        """Place the items in ``rect`` (only measure unless ``move``); the height used."""
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        across, down = self._gap(Qt.Orientation.Horizontal), self._gap(Qt.Orientation.Vertical)
        x, y, line_height = area.x(), area.y(), 0
        lines: list[list[tuple[QLayoutItem, int]]] = [[]]
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if lines[-1] and x + hint.width() > area.right() + 1:
                x, y = area.x(), y + line_height + down
                line_height = 0
                lines.append([])
            lines[-1].append((item, x))
            x += hint.width() + across
            line_height = max(line_height, hint.height())
        if move:
            top = area.y()
            for line in lines:
                height = max((item.sizeHint().height() for item, _ in line), default=0)
                for item, left in line:
                    hint = item.sizeHint()
                    width = min(hint.width(), area.width())
                    item.setGeometry(QRect(QPoint(left, top + (height - hint.height()) // 2),
                                           QSize(width, hint.height())))
                top += height + down
        return y + line_height - rect.y() + margins.bottom()
