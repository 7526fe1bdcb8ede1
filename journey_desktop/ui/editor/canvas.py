"""The flow canvas: nodes as cards, connections as arrows, drawn from a JourneyDocument.

Cards are plain ``QGraphicsItem``s that paint themselves (no widgets inside), with their
text elided once per change and the painting cached per item, so that a journey of a few
hundred nodes opens and pans without delay.
"""

from __future__ import annotations

import math
from functools import partial

from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QMenu,
    QWidget,
)

from journey_desktop.domain.journey import Node
from journey_desktop.domain.validation import ValidationResult
from journey_desktop.ui.editor.document import JourneyDocument
from journey_desktop.ui.editor.items import (
    MAX_ZOOM,
    MIN_ZOOM,
    SELECTION_COLOR,
    EdgeItem,
    NodeItem,
    connection_path,
    node_icon,
)
from journey_desktop.ui.editor.layout import CARD_HEIGHT, CARD_WIDTH, ROW_HEIGHT
from journey_desktop.ui.editor.summary import TYPE_LABELS, connection_label

# Steps that go between two.
INSERTABLE_TYPES = ("wait", "wait_event", "condition", "split", "message")


class JourneyCanvas(QGraphicsView):
    """The view of a document's nodes and connections, and the gestures that edit them."""

    node_selected = Signal(str)  # the single selected node's id, "" for none or several
    insert_requested = Signal(str, str, str)  # source node, its output, the new step's type

    def __init__(self, document: JourneyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editor_canvas")
        self.document = document
        self.read_only = document.read_only
        self.items_by_id: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._counts: dict[str, int] | None = None
        self._delivery: dict[str, tuple[str, list[str]]] = {}  # message node -> line, details
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
        if node.id in self._delivery:
            item.set_delivery(*self._delivery[node.id])
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
            edge = EdgeItem(source, field, target, connection_label(node, field),
                            connection_label(node, field, with_label=False))
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

    def selected_edges(self) -> list[tuple[str, str]]:
        """The selected arrows as (source node, output field)."""
        return [(i.source.node_id, i.field) for i in self.scene().selectedItems()
                if isinstance(i, EdgeItem)]

    def edge_menu(self, edge: EdgeItem) -> QMenu:
        """The arrow's menu: insert a step of a chosen type there."""
        menu = QMenu(self)
        menu.setObjectName("edge_menu")
        insert = menu.addMenu("Insert a step here")
        insert.setObjectName("insert_step_menu")
        for node_type in INSERTABLE_TYPES:
            action = insert.addAction(node_icon(node_type), TYPE_LABELS[node_type])
            action.setObjectName(f"insert_{node_type}")
            action.triggered.connect(partial(self.insert_requested.emit, edge.source.node_id,
                                             edge.field, node_type))
        insert.setEnabled(not self.read_only)
        return menu

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

    def set_read_only(self, read_only: bool) -> None:
        """Freeze the cards and arrows (the journey was activated while open)."""
        self.read_only = read_only
        for item in self.items_by_id.values():
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, not read_only)
        for edge in self.edges.values():
            edge.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, not read_only)

    def repaint_all(self) -> None:
        """Redraw the whole view: after many cards move at once (Arrange) the minimal
        updates and scrolled pixels could leave fragments of the old arrows behind."""
        self._update_scene_rect()
        self.resetCachedContent()
        self.scene().update()
        self.viewport().update()

    def set_node_counts(self, counts: dict[str, int] | None) -> None:
        self._counts = dict(counts) if counts is not None else None
        for node_id, item in self.items_by_id.items():
            item.set_count(None if self._counts is None else self._counts.get(node_id, 0))

    def set_delivery_figures(self, figures: dict[str, tuple[str, list[str]]]) -> None:
        """Delivery figures on the message cards: node id -> (the card's line, the tooltip's
        lines); cards left out show none."""
        self._delivery = dict(figures)
        for node_id, item in self.items_by_id.items():
            item.set_delivery(*self._delivery.get(node_id, ("", [])))

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
                target.setdefault(problem.node, []).append(problem.words)
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

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        for item in self.items(event.pos()):
            if isinstance(item, EdgeItem):
                self.edge_menu(item).exec(event.globalPos())
                event.accept()
                return
        super().contextMenuEvent(event)

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
