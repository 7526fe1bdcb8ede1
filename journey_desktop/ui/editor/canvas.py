"""The flow canvas: nodes as cards, connections as arrows, drawn from a JourneyDocument.

Cards are plain ``QGraphicsItem``s that paint themselves (no widgets inside), with their
text elided once per change and the painting cached per item, so that a journey of a few
hundred nodes opens and pans without delay.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPixmap,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from journey_desktop.domain.journey import Node
from journey_desktop.domain.validation import ValidationResult
from journey_desktop.paths import resource_path
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.layout import CARD_HEIGHT, CARD_WIDTH, ROW_HEIGHT
from journey_desktop.ui.editor.summary import TYPE_LABELS, connection_label, node_summary

TYPE_COLORS = {
    "entry": "#2e7d32",
    "wait": "#b26a00",
    "condition": "#1565c0",
    "split": "#6a1b9a",
    "message": "#00796b",
    "exit": "#5f6368",
}
SELECTION_COLOR = "#1a73e8"
ERROR_COLOR = "#d93025"
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
        self._summary_lines = _wrap_two_lines(self.summary, fonts.body_metrics, CARD_WIDTH - 24)
        self.setToolTip(self._tooltip())
        self.update()

    def set_problems(self, errors: list[str], warnings: list[str]) -> None:
        if errors != self.errors or warnings != self.warnings:
            self.errors, self.warnings = errors, warnings
            self.setToolTip(self._tooltip())
            self.update()

    def set_count(self, count: int | None) -> None:
        if count != self.count:
            self.count = count
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
    """An arrow from one output of a node to another node, labelled for branches."""

    def __init__(self, source: NodeItem, field: str, target: NodeItem, label: str) -> None:
        super().__init__()
        self.source = source
        self.field = field
        self.target = target
        self.label = label
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


class JourneyCanvas(QGraphicsView):
    """The view of a document's nodes and connections, and the gestures that edit them."""

    node_selected = Signal(str)  # the single selected node's id, "" for none or several

    def __init__(self, document: JourneyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editor_canvas")
        self.document = document
        self.read_only = document.read_only
        self.items_by_id: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._counts: dict[str, int] | None = None
        self._link: QGraphicsPathItem | None = None
        self._link_source: tuple[NodeItem, str] | None = None
        self.setScene(QGraphicsScene(self))
        self.scene().setBackgroundBrush(QBrush(QColor("#f6f7f9")))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setMinimumSize(320, 240)
        self.scene().selectionChanged.connect(self._on_scene_selection_changed)
        document.node_added.connect(self._on_document_node_added)
        document.node_removed.connect(self._on_document_node_removed)
        document.node_changed.connect(self._on_document_node_changed)
        document.node_moved.connect(self._on_document_node_moved)
        document.node_renamed.connect(self._on_document_node_renamed)
        document.validated.connect(self._on_document_validated)
        self.reload()

    # --- building ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild every item from the document (opening a journey)."""
        scene = self.scene()
        scene.clear()
        self.items_by_id.clear()
        self.edges.clear()
        for node in self.document.journey.nodes:
            if node.id not in self.items_by_id:
                self._add_item(node)
        self._rebuild_all_edges()
        self._on_document_validated(self.document.validation)
        self._update_scene_rect()

    def _add_item(self, node: Node) -> NodeItem:
        item = NodeItem(self, node)
        x, y = node.position or self.free_position()
        item.setPos(x, y)
        if self._counts is not None:
            item.set_count(self._counts.get(node.id, 0))
        self.scene().addItem(item)
        self.items_by_id[node.id] = item
        return item

    def _remove_edges_from(self, source_id: str) -> None:
        for key in [k for k in self.edges if k[0] == source_id]:
            edge = self.edges.pop(key)
            edge.detach()
            self.scene().removeItem(edge)

    def _add_edges_from(self, node: Node) -> None:
        source = self.items_by_id.get(node.id)
        if source is None:
            return
        for field, target_id in node.targets():
            target = self.items_by_id.get(target_id or "")
            if target is None or target is source:
                continue
            edge = EdgeItem(source, field, target, connection_label(node, field))
            self.scene().addItem(edge)
            self.edges[(node.id, field)] = edge

    def _rebuild_all_edges(self) -> None:
        for edge in self.edges.values():
            edge.detach()
            self.scene().removeItem(edge)
        self.edges.clear()
        for node in self.document.journey.nodes:
            self._add_edges_from(node)

    def _update_scene_rect(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-400, -300, 400, 300)
        self.setSceneRect(rect.united(self.sceneRect()) if self.items_by_id else rect)

    def free_position(self) -> tuple[float, float]:
        """Where a new card goes: the middle of the view, moved down until it overlaps none."""
        centre = self.mapToScene(self.viewport().rect().center())
        x = round((centre.x() - CARD_WIDTH / 2) / 10) * 10
        y: float = round((centre.y() - CARD_HEIGHT / 2) / 10) * 10
        while any(
            QRectF(x, y, CARD_WIDTH, CARD_HEIGHT).intersects(
                QRectF(i.pos().x() - 20, i.pos().y() - 20, CARD_WIDTH + 40, CARD_HEIGHT + 40)
            )
            for i in self.items_by_id.values()
        ):
            y += ROW_HEIGHT / 2
        return (float(x), float(y))

    # --- public -----------------------------------------------------------------------------

    def edge_item(self, source_id: str, field: str) -> EdgeItem | None:
        return self.edges.get((source_id, field))

    def select_node(self, node_id: str) -> None:
        item = self.items_by_id.get(node_id)
        scene = self.scene()
        scene.clearSelection()
        if item is not None:
            item.setSelected(True)
            self.ensureVisible(item, 60, 60)

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.scene().selectedItems() if isinstance(i, NodeItem)]

    def delete_selection(self) -> None:
        """Delete the selected nodes and connections as one undo step."""
        if self.read_only:
            return
        nodes = self.selected_node_ids()
        edges = [
            (i.source.node_id, i.field)
            for i in self.scene().selectedItems()
            if isinstance(i, EdgeItem) and i.source.node_id not in nodes
        ]
        if not nodes and not edges:
            return
        stack = self.document.undo_stack
        stack.beginMacro("Delete")
        for source, field in edges:
            self.document.connect_nodes(source, field, None)
        self.document.remove_nodes(nodes)
        stack.endMacro()

    def set_node_counts(self, counts: dict[str, int] | None) -> None:
        self._counts = dict(counts) if counts is not None else None
        for node_id, item in self.items_by_id.items():
            item.set_count(None if self._counts is None else self._counts.get(node_id, 0))

    def zoom_by(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(MIN_ZOOM / current, min(MAX_ZOOM / current, factor))
        self.scale(factor, factor)

    def zoom(self) -> float:
        return self.transform().m11()

    def fit_all(self, *, max_zoom: float = 1.0, min_zoom: float = 0.0) -> None:
        """Show every node; never enlarge past ``max_zoom``; below ``min_zoom`` show the top."""
        if not self.items_by_id:
            return
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height(), max_zoom)
        scale = max(scale, MIN_ZOOM)
        self.resetTransform()
        if scale < min_zoom:
            self.scale(min_zoom, min_zoom)
            entry = self.document.journey.entry()
            item = self.items_by_id.get(entry.id) if entry else None
            top = item.sceneBoundingRect() if item else rect
            visible_height = view.height() / min_zoom
            self.centerOn(top.center().x(), top.top() - 30 + visible_height / 2)
        else:
            self.scale(scale, scale)
            self.centerOn(rect.center())

    def output_port_scene_pos(self, node_id: str, field: str) -> QPointF:
        item = self.items_by_id[node_id]
        return item.mapToScene(item.output_port(field))

    # --- document signals -------------------------------------------------------------------

    @Slot(str)
    def _on_document_node_added(self, node_id: str) -> None:
        node = self.document.node(node_id)
        if node is None or node_id in self.items_by_id:
            return
        self._add_item(node)
        self._rebuild_all_edges()
        self._update_scene_rect()

    @Slot(str)
    def _on_document_node_removed(self, node_id: str) -> None:
        item = self.items_by_id.pop(node_id, None)
        if item is None:
            return
        for edge in list(item.edges):
            edge.detach()
            self.scene().removeItem(edge)
        self.edges = {
            k: e for k, e in self.edges.items() if e.source is not item and e.target is not item
        }
        self.scene().removeItem(item)

    @Slot(str)
    def _on_document_node_changed(self, node_id: str) -> None:
        node = self.document.node(node_id)
        item = self.items_by_id.get(node_id)
        if node is None or item is None:
            return
        item.update_from(node)
        if node.position is not None and item.pos() != QPointF(*node.position):
            item.setPos(*node.position)
        self._remove_edges_from(node_id)
        self._add_edges_from(node)
        for edge in item.edges:
            edge.update_path()

    @Slot(str)
    def _on_document_node_moved(self, node_id: str) -> None:
        node = self.document.node(node_id)
        item = self.items_by_id.get(node_id)
        if node is not None and item is not None and node.position is not None:
            if item.pos() != QPointF(*node.position):
                item.setPos(*node.position)
            self._update_scene_rect()

    @Slot(str, str)
    def _on_document_node_renamed(self, old: str, new: str) -> None:
        item = self.items_by_id.pop(old, None)
        node = self.document.node(new)
        if item is None or node is None:
            return
        self.items_by_id[new] = item
        item.update_from(node)
        self._rebuild_all_edges()

    @Slot(object)
    def _on_document_validated(self, result: ValidationResult) -> None:
        errors: dict[str, list[str]] = {}
        warnings: dict[str, list[str]] = {}
        for problem in result.problems:
            if problem.node:
                target = errors if problem.is_error else warnings
                target.setdefault(problem.node, []).append(f"{problem.field}: {problem.message}")
        for node_id, item in self.items_by_id.items():
            item.set_problems(errors.get(node_id, []), warnings.get(node_id, []))

    @Slot()
    def _on_scene_selection_changed(self) -> None:
        ids = self.selected_node_ids()
        self.node_selected.emit(ids[0] if len(ids) == 1 else "")

    # --- gestures ---------------------------------------------------------------------------

    def _node_at(self, view_pos: QPointF, exclude: QGraphicsItem | None = None) -> NodeItem | None:
        for item in self.items(view_pos.toPoint()):
            if isinstance(item, NodeItem) and item is not exclude:
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self.read_only:
            item = self._node_at(event.position())
            if item is not None:
                scene_pos = self.mapToScene(event.position().toPoint())
                field = item.output_at(item.mapFromScene(scene_pos))
                if field is not None:
                    self._start_link(item, field)
                    event.accept()
                    return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._link is not None and self._link_source is not None:
            item, field = self._link_source
            start = item.mapToScene(item.output_port(field))
            end = self.mapToScene(event.position().toPoint())
            target = self._node_at(event.position(), exclude=item)
            if target is not None:
                end = target.mapToScene(target.input_port())
            self._link.setPath(connection_path(start, end))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._link is not None and self._link_source is not None:
            source, field = self._link_source
            target = self._node_at(event.position(), exclude=source)
            self.scene().removeItem(self._link)
            self._link = None
            self._link_source = None
            if target is not None:
                self.document.connect_nodes(source.node_id, field, target.node_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if not self.read_only:
            moves = {}
            for node_id, item in self.items_by_id.items():
                node = self.document.node(node_id)
                pos = (item.pos().x(), item.pos().y())
                if node is not None and node.position != pos:
                    moves[node_id] = pos
            if moves:
                self.document.move_nodes(moves)

    def _start_link(self, item: NodeItem, field: str) -> None:
        self._link_source = (item, field)
        start = item.mapToScene(item.output_port(field))
        self._link = QGraphicsPathItem(connection_path(start, start + QPointF(0, 1)))
        pen = QPen(QColor(SELECTION_COLOR), 2, Qt.PenStyle.DashLine)
        self._link.setPen(pen)
        self._link.setZValue(10)
        self.scene().addItem(self._link)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(math.pow(1.15, steps))
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not self.read_only:
            self.delete_selection()
            event.accept()
            return
        super().keyPressEvent(event)
