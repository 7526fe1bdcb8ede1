"""The canvas's items: a node as a card that paints itself, a connection as an arrow.

Text is elided once per change and the painting cached per item, so that a journey of a few
hundred nodes opens and pans without delay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QIcon,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from journey_desktop.domain.journey import Node
from journey_desktop.paths import resource_path
from journey_desktop.ui.common.colours import ERROR_COLOR
from journey_desktop.ui.editor.layout import CARD_HEIGHT, CARD_WIDTH
from journey_desktop.ui.editor.summary import TYPE_LABELS, node_summary

if TYPE_CHECKING:  # the canvas holds its items; they only call back into it
    from journey_desktop.ui.editor.canvas import JourneyCanvas

TYPE_COLORS = {
    "entry": "#2e7d32",
    "wait": "#b26a00",
    "wait_event": "#c2185b",
    "condition": "#1565c0",
    "split": "#6a1b9a",
    "message": "#00796b",
    "exit": "#5f6368",
}
SELECTION_COLOR = "#1a73e8"
WARNING_COLOR = "#e37400"
EDGE_COLOR = "#80868b"
PORT_RADIUS = 6.0
MIN_ZOOM = 0.1
MAX_ZOOM = 3.0

_icon_cache: dict[str, QPixmap] = {}


def node_icon(node_type: str) -> QIcon:
    return QIcon(str(resource_path("icons", f"node-{node_type}.svg")))


def _icon_pixmap(node_type: str) -> QPixmap:
    pixmap = _icon_cache.get(node_type)
    if pixmap is None:
        pixmap = node_icon(node_type).pixmap(40, 40)
        _icon_cache[node_type] = pixmap
    return pixmap


class _Fonts:
    """Fonts and metrics shared by every card, made on first use (never at import)."""

    title: QFont
    body: QFont
    small: QFont
    body_metrics: QFontMetricsF
    title_metrics: QFontMetricsF
    small_metrics: QFontMetricsF
    ready = False

    @classmethod
    def get(cls) -> type[_Fonts]:
        if not cls.ready:
            cls.title = QFont()
            cls.title.setBold(True)
            cls.body = QFont()
            cls.small = QFont()
            cls.small.setPointSizeF(max(6.0, cls.body.pointSizeF() - 1.5))
            cls.title_metrics = QFontMetricsF(cls.title)
            cls.body_metrics = QFontMetricsF(cls.body)
            cls.small_metrics = QFontMetricsF(cls.small)
            cls.ready = True
        return cls


def _wrap_two_lines(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """The summary on at most two lines, broken between words, the second one elided."""
    if metrics.horizontalAdvance(text) <= width:
        return [text]
    words = text.split(" ")
    first = ""
    for count in range(1, len(words)):
        candidate = " ".join(words[:count])
        if metrics.horizontalAdvance(candidate) > width:
            break
        first = candidate
    if not first:
        return [metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)]
    rest = text[len(first):].strip()
    return [first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]


class NodeItem(QGraphicsItem):
    """One node card; ``pos()`` is the card's top-left corner, as saved in the file."""

    def __init__(self, canvas: JourneyCanvas, node: Node) -> None:
        super().__init__()
        self.canvas = canvas
        self.node_id = node.id
        self.node_type = node.type
        self.summary = ""
        self.outputs: list[str] = []
        self.edges: set[EdgeItem] = set()
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.count: int | None = None
        self.delivery_text = ""  # a message card's delivery figures (SPEC §15), "" for none
        self.delivery_details: list[str] = []
        self._elided_title = ""
        self._summary_lines: list[str] = []
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, not canvas.read_only)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.update_from(node)

    # --- state ------------------------------------------------------------------------------

    def update_from(self, node: Node) -> None:
        fonts = _Fonts.get()
        self.node_id = node.id
        self.node_type = node.type
        self.summary = node_summary(node, self.canvas.document.journey.audience)
        self.outputs = [field for field, _target in node.targets()]
        type_width = fonts.small_metrics.horizontalAdvance(TYPE_LABELS.get(node.type, ""))
        self._elided_title = fonts.title_metrics.elidedText(
            node.id, Qt.TextElideMode.ElideRight, CARD_WIDTH - 52 - type_width
        )
        self._summary_lines = self._wrapped_summary()
        self.setToolTip(self._tooltip())
        self.update()

    def _wrapped_summary(self) -> list[str]:
        """Two lines of summary; one on a message card that shows its delivery figures."""
        metrics = _Fonts.get().body_metrics
        if self.delivery_text:
            return [metrics.elidedText(self.summary, Qt.TextElideMode.ElideRight,
                                       CARD_WIDTH - 24)]
        return _wrap_two_lines(self.summary, metrics, CARD_WIDTH - 24)

    def set_problems(self, errors: list[str], warnings: list[str]) -> None:
        if errors != self.errors or warnings != self.warnings:
            self.errors, self.warnings = errors, warnings
            self.setToolTip(self._tooltip())
            self.update()

    def set_count(self, count: int | None) -> None:
        if count != self.count:
            self.count = count
            self.update()

    def set_delivery(self, text: str, details: list[str]) -> None:
        """A message card's delivery figures: ``text`` on the card, ``details`` in its
        tooltip ("" and [] hide them); other cards have none."""
        if self.node_type != "message":
            text, details = "", []
        if (text, details) != (self.delivery_text, self.delivery_details):
            self.delivery_text, self.delivery_details = text, list(details)
            self._summary_lines = self._wrapped_summary()
            self.setToolTip(self._tooltip())
            self.update()

    @property
    def badge_text(self) -> str:
        """What the problem badge shows: the number of errors, "!" for warnings only."""
        if self.errors:
            return str(len(self.errors))
        return "!" if self.warnings else ""

    @property
    def count_text(self) -> str:
        return "" if self.count is None else f"{self.count:,} reached"

    def _tooltip(self) -> str:
        lines = [f"{self.node_id} — {self.summary}"]
        lines += [f"• {p}" for p in self.errors]
        lines += [f"• (warning) {p}" for p in self.warnings]
        if self.delivery_details:
            lines += ["", *self.delivery_details]
        return "\n".join(lines)

    # --- ports ------------------------------------------------------------------------------

    def input_port(self) -> QPointF:
        return QPointF(CARD_WIDTH / 2, 0)

    def output_port(self, field: str) -> QPointF:
        count = max(1, len(self.outputs))
        index = self.outputs.index(field) if field in self.outputs else 0
        return QPointF(CARD_WIDTH * (index + 1) / (count + 1), CARD_HEIGHT)

    def output_at(self, local: QPointF) -> str | None:
        """The output port under a point in item coordinates, with a generous margin."""
        for field in self.outputs:
            port = self.output_port(field)
            if QLineF(port, local).length() <= PORT_RADIUS + 5:
                return field
        return None

    # --- Qt overrides -----------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -PORT_RADIUS - 12, CARD_WIDTH + 18, CARD_HEIGHT + 2 * PORT_RADIUS + 14)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, CARD_WIDTH, CARD_HEIGHT), 8, 8)
        for field in self.outputs:
            port = self.output_port(field)
            path.addEllipse(port, PORT_RADIUS + 5, PORT_RADIUS + 5)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        fonts = _Fonts.get()
        color = QColor(TYPE_COLORS.get(self.node_type, "#5f6368"))
        selected = self.isSelected()
        card = QRectF(0, 0, CARD_WIDTH, CARD_HEIGHT)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.3)
        border = QPen(QColor(SELECTION_COLOR), 2.5) if selected else QPen(QColor("#c4c7cc"), 1)
        painter.setPen(border)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(card, 8, 8)
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(0, 0, 6, CARD_HEIGHT), 3, 3)
        painter.fillPath(stripe, color)
        if lod < 0.35:  # far zoomed out: the coloured card is all one can see anyway
            self._paint_badge(painter)
            return
        painter.drawPixmap(
            QRectF(14, 9, 20, 20), _icon_pixmap(self.node_type), QRectF(0, 0, 40, 40)
        )
        painter.setPen(QColor("#202124"))
        painter.setFont(fonts.title)
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(40, 8, CARD_WIDTH - 48, 22), middle, self._elided_title)
        painter.setFont(fonts.small)
        painter.setPen(QColor("#5f6368"))
        painter.drawText(
            QRectF(40, 8, CARD_WIDTH - 52, 22),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            TYPE_LABELS.get(self.node_type, ""),
        )
        painter.setFont(fonts.body)
        painter.setPen(QColor("#3c4043"))
        line_height = fonts.body_metrics.height()
        for i, line in enumerate(self._summary_lines):
            painter.drawText(QRectF(14, 31 + i * line_height, CARD_WIDTH - 24, line_height),
                             middle, line)
        if self.delivery_text:
            painter.setFont(fonts.small)
            painter.setPen(QColor("#3c4043"))
            painter.drawText(QRectF(14, 31 + line_height, CARD_WIDTH - 24, 16), middle,
                             fonts.small_metrics.elidedText(
                                 self.delivery_text, Qt.TextElideMode.ElideRight,
                                 CARD_WIDTH - 24))
        if self.count is not None:
            painter.setFont(fonts.small)
            painter.setPen(color)
            painter.drawText(QRectF(14, CARD_HEIGHT - 21, CARD_WIDTH - 24, 16), middle,
                             self.count_text)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        if self.node_type != "entry":
            painter.setBrush(QColor("#9aa0a6"))
            painter.drawEllipse(self.input_port(), PORT_RADIUS - 1, PORT_RADIUS - 1)
        painter.setBrush(color)
        for field in self.outputs:
            painter.drawEllipse(self.output_port(field), PORT_RADIUS, PORT_RADIUS)
        self._paint_badge(painter)

    def _paint_badge(self, painter: QPainter) -> None:
        text = self.badge_text
        if not text:
            return
        fonts = _Fonts.get()
        centre = QPointF(CARD_WIDTH - 2, 0)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.setBrush(QColor(ERROR_COLOR if self.errors else WARNING_COLOR))
        painter.drawEllipse(centre, 10, 10)
        painter.setFont(fonts.small)
        painter.setPen(QColor("#ffffff"))
        box = QRectF(centre.x() - 10, centre.y() - 10, 20, 20)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class EdgeItem(QGraphicsItem):
    """An arrow from one output of a node to another node, labelled for branches; a
    ``short`` label (a split branch's percent) stands in where the full one has no room."""

    def __init__(self, source: NodeItem, field: str, target: NodeItem, label: str,
                 short: str = "") -> None:
        super().__init__()
        self.source = source
        self.field = field
        self.target = target
        room = CARD_WIDTH / (len(source.outputs) + 1) - 8  # between two output ports
        fits = (not short or short == label
                or _Fonts.get().small_metrics.horizontalAdvance(label) + 10 <= room)
        self.label = label if fits else short
        if self.label != label:
            self.setToolTip(label)
        self._path = QPainterPath()
        self._arrow = QPolygonF()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, not source.canvas.read_only)
        source.edges.add(self)
        target.edges.add(self)
        self.update_path()

    def detach(self) -> None:
        self.source.edges.discard(self)
        self.target.edges.discard(self)

    def update_path(self) -> None:
        self.prepareGeometryChange()
        start = self.source.mapToScene(self.source.output_port(self.field))
        end = self.target.mapToScene(self.target.input_port()) - QPointF(0, 2)
        self._path = connection_path(start, end)
        tip = end
        self._arrow = QPolygonF([tip, tip + QPointF(-5.5, -10), tip + QPointF(5.5, -10)])
        if self.label:
            fonts = _Fonts.get()
            width = fonts.small_metrics.horizontalAdvance(self.label) + 10
            self._label_rect = QRectF(start.x() - width / 2, start.y() + 9, width, 16)
        bounds = self._path.boundingRect().united(self._arrow.boundingRect())
        if self.label:
            bounds = bounds.united(self._label_rect)
        self._bounds = bounds.adjusted(-6, -6, 6, 6)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self._path)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        color = QColor(SELECTION_COLOR if self.isSelected() else EDGE_COLOR)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 2.5 if self.isSelected() else 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(self._arrow)
        if self.label:
            painter.setBrush(QColor("#ffffff"))
            painter.setPen(QPen(color, 1))
            painter.drawRoundedRect(self._label_rect, 7, 7)
            painter.setFont(_Fonts.get().small)
            painter.setPen(QColor("#3c4043"))
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)


def connection_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A smooth curve leaving downwards and arriving from above, also for upward links."""
    path = QPainterPath(start)
    dy = end.y() - start.y()
    bend = max(40.0, abs(dy) / 2)
    if dy >= 20:
        path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end)
    else:  # the target is above or level: loop around beside the cards
        side = 1.0 if end.x() >= start.x() else -1.0
        out = max(CARD_WIDTH / 2 + 30, abs(end.x() - start.x()) / 2)
        mid_x = start.x() + side * out
        half = (start.y() + end.y()) / 2
        path.cubicTo(start + QPointF(0, 60), QPointF(mid_x, start.y() + 60), QPointF(mid_x, half))
        path.cubicTo(QPointF(mid_x, end.y() - 60), end - QPointF(0, 60), end)
    return path
