"""The journey being edited and every edit as an undoable command.

The canvas and the properties panel are views of this document: they ask it for changes
and redraw on its signals, so every edit goes through the undo stack and is validated by
``domain.validation`` in one place.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from journey_desktop.domain.goals import ExitRule, Goal
from journey_desktop.domain.journey import (
    EVENT_PREFIX,
    MATCHED_PREFIX,
    Branch,
    Duration,
    Filter,
    Journey,
    Node,
)
from journey_desktop.domain.validation import ValidationResult, validate
from journey_desktop.ui.editor.summary import TYPE_LABELS

_MERGE_EDIT = 1
_MERGE_META = 2
_MERGE_RULES = 3
_TYPED_META = ("name", "description")  # typing in them merges into one undo step


def new_node(node_type: str, node_id: str) -> Node:
    """A fresh node with the defaults a user starts from."""
    node = Node(id=node_id, type=node_type)
    if node_type == "wait":
        node.duration = Duration(1, "days")
    elif node_type == "wait_event":
        node.event = ""
        node.timeout = Duration(1, "hours")
    elif node_type == "condition":
        node.filter = Filter("all", [])
    elif node_type == "split":
        node.branches = [Branch(50), Branch(50)]
    elif node_type == "message":
        node.channel = "push"
        node.content = {"title": "", "body": ""}
    return node


def set_target(node: Node, field: str, target: str | None) -> None:
    """Point one output (``next``, ``yes``, ``no``, ``branches[i].next``) at a node."""
    if field.startswith("branches["):
        index = int(field[len("branches[") : field.index("]")])
        node.branches[index].next = target
    else:
        setattr(node, field, target)


def _replace_references(node: Node, old: str, new: str | None) -> bool:
    changed = False
    for field, target in node.targets():
        if target == old:
            set_target(node, field, new)
            changed = True
    return changed


@dataclasses.dataclass
class JourneyRules:
    """What the goal panel edits: the journey's goal and exit rules (SPEC §12)."""

    goal: Goal | None = None
    exit_when: list[ExitRule] = dataclasses.field(default_factory=list)


class JourneyDocument(QObject):
    """Holds the edited journey; changes go through ``undo_stack``."""

    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str)
    node_moved = Signal(str)
    node_renamed = Signal(str, str)
    meta_changed = Signal()
    rules_changed = Signal()  # the goal or the exit rules
    validated = Signal(object)

    def __init__(
        self,
        journey: Journey,
        *,
        read_only: bool = False,
        taken_names: Iterable[str] = (),
        audience_columns: Mapping[str, str] | None = None,
        journey_id: int | None = None,
        event_names: Iterable[str] = (),
        event_properties: Iterable[str] = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.journey = journey
        self.journey_id = journey_id  # its stored id, for reads such as a message preview
        self.read_only = read_only
        self.taken_names = list(taken_names)
        self.audience_columns = dict(audience_columns) if audience_columns else None
        # What the database's events hold, offered as choices (free text is kept too).
        self.event_names = list(event_names)
        self.event_properties = list(event_properties)
        self.undo_stack = QUndoStack(self)
        self.validation = ValidationResult()
        self.undo_stack.indexChanged.connect(self._on_undo_stack_index_changed)
        self.revalidate()

    # --- reading ---------------------------------------------------------------------------

    def node(self, node_id: str) -> Node | None:
        return self.journey.node(node_id)

    def node_ids(self) -> list[str]:
        return [n.id for n in self.journey.nodes]

    def columns(self) -> dict[str, str]:
        return dict(self.audience_columns or {})

    def event_fields(self) -> list[str]:
        """The event data a step can read (SPEC §11): ``event.x`` when the journey starts
        on an event, ``matched.x`` when it waits for one, x the properties seen."""
        nodes = self.journey.nodes
        prefixes = [prefix for prefix, present in (
            (EVENT_PREFIX, any(n.type == "entry" and n.trigger is not None for n in nodes)),
            (MATCHED_PREFIX, any(n.type == "wait_event" for n in nodes))) if present]
        return [prefix + name for prefix in prefixes for name in self.event_properties]

    def unique_id(self, node_type: str) -> str:
        taken = set(self.node_ids())
        number = 1
        while f"{node_type}_{number}" in taken:
            number += 1
        return f"{node_type}_{number}"

    def id_problem(self, node_id: str, new_id: str) -> str | None:
        """Why a node cannot be renamed to ``new_id``, or None."""
        if not new_id:
            return "a node id cannot be empty"
        if any(ch.isspace() for ch in new_id):
            return "a node id cannot contain spaces"
        if new_id != node_id and new_id in self.node_ids():
            return f"another node is already called {new_id!r}"
        return None

    # --- editing ---------------------------------------------------------------------------

    def add_node(self, node_type: str, position: tuple[float, float] | None = None) -> str:
        node = new_node(node_type, self.unique_id(node_type))
        node.position = position
        self._push(_AddNodeCommand(self, node, f"Add {TYPE_LABELS.get(node_type, node_type)}"))
        return node.id

    def insert_node(self, node_type: str, source: str, field: str,
                    position: tuple[float, float],
                    moves: Mapping[str, tuple[float, float]] | None = None) -> str:
        """Add a step on ``source``'s output ``field`` as one undo step: it takes over what
        followed there (A→B becomes A→new→B); ``moves`` make room for it."""
        before = self.node(source)
        node = new_node(node_type, self.unique_id(node_type))
        node.position = position
        following = dict(before.targets()).get(field) if before is not None else None
        outputs = [name for name, _target in node.targets()]
        if following and outputs:
            set_target(node, outputs[0], following)
        label = TYPE_LABELS.get(node_type, node_type)
        self.undo_stack.beginMacro(f"Insert {label} after {source}")
        if moves:
            self.move_nodes(moves)
        self._push(_AddNodeCommand(self, node, f"Add {label}"))
        self.connect_nodes(source, field, node.id)
        self.undo_stack.endMacro()
        return node.id

    def remove_nodes(self, node_ids: Iterable[str]) -> None:
        ids = [nid for nid in dict.fromkeys(node_ids) if self.node(nid) is not None]
        if ids:
            text = f"Delete {ids[0]}" if len(ids) == 1 else f"Delete {len(ids)} nodes"
            self._push(_RemoveNodesCommand(self, ids, text))

    def edit_node(
        self,
        node_id: str,
        change: Callable[[Node], None],
        text: str,
        merge_key: str | None = None,
    ) -> None:
        """Apply ``change`` to a copy of the node and push it; typing in one field merges."""
        node = self.node(node_id)
        if node is None:
            return
        after = copy.deepcopy(node)
        change(after)
        if after == node:
            return
        self._push(_EditNodeCommand(self, node_id, after, text, merge_key))

    def connect_nodes(self, source: str, field: str, target: str | None) -> None:
        label = f"Connect {source} to {target}" if target else f"Disconnect {source} {field}"
        self.edit_node(source, lambda n: set_target(n, field, target), label)

    def rename_node(self, node_id: str, new_id: str) -> str | None:
        """Rename a node and every reference to it; returns why not, or None."""
        new_id = new_id.strip()
        problem = self.id_problem(node_id, new_id)
        if problem is None and new_id != node_id:
            self._push(_RenameNodeCommand(self, node_id, new_id))
        return problem

    def move_nodes(self, moves: Mapping[str, tuple[float, float]], text: str = "Move") -> None:
        changed = {
            nid: pos
            for nid, pos in moves.items()
            if (node := self.node(nid)) is not None and node.position != pos
        }
        if changed:
            self._push(_MoveNodesCommand(self, changed, text))

    def set_meta(self, field: str, value: str) -> None:
        """Change the journey's ``name``, ``description`` or ``audience``."""
        if getattr(self.journey, field) != value:
            self._push(_SetMetaCommand(self, field, value))

    def rules(self) -> JourneyRules:
        """The goal and exit rules as the document holds them (read them, do not change)."""
        return JourneyRules(self.journey.goal, self.journey.exit_when)

    def edit_rules(self, change: Callable[[JourneyRules], None], text: str,
                   merge_key: str | None = None) -> None:
        """Apply ``change`` to a copy of the goal and exit rules and push it, as
        ``edit_node`` does for a node; typing in one input merges into one undo step."""
        after = copy.deepcopy(self.rules())
        change(after)
        if after != self.rules():
            self._push(_EditRulesCommand(self, after, text, merge_key))

    def set_positions_silently(self, positions: Mapping[str, tuple[float, float]]) -> None:
        """Place nodes without an undo step (the first layout of a journey from a file)."""
        for nid, pos in positions.items():
            node = self.node(nid)
            if node is not None:
                node.position = pos

    def revalidate(self) -> None:
        self.validation = validate(
            self.journey, taken_names=self.taken_names, audience_columns=self.audience_columns
        )
        self.validated.emit(self.validation)

    def _push(self, command: QUndoCommand) -> None:
        if not self.read_only:
            self.undo_stack.push(command)

    @Slot(int)
    def _on_undo_stack_index_changed(self, _index: int) -> None:
        self.revalidate()


class _AddNodeCommand(QUndoCommand):
    def __init__(self, doc: JourneyDocument, node: Node, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.node = node

    def redo(self) -> None:
        self.doc.journey.nodes.append(copy.deepcopy(self.node))
        self.doc.node_added.emit(self.node.id)

    def undo(self) -> None:
        nodes = self.doc.journey.nodes
        for index in range(len(nodes) - 1, -1, -1):
            if nodes[index].id == self.node.id:
                del nodes[index]
                break
        self.doc.node_removed.emit(self.node.id)


class _RemoveNodesCommand(QUndoCommand):
    """Removes nodes and clears the connections that pointed at them."""

    def __init__(self, doc: JourneyDocument, ids: list[str], text: str) -> None:
        super().__init__(text)
        self.doc = doc
        removed = set(ids)
        self.removed = [
            (i, copy.deepcopy(n)) for i, n in enumerate(doc.journey.nodes) if n.id in removed
        ]
        self.referrers = {
            n.id: copy.deepcopy(n)
            for n in doc.journey.nodes
            if n.id not in removed and any(t in removed for _f, t in n.targets())
        }

    def redo(self) -> None:
        removed = {n.id for _i, n in self.removed}
        self.doc.journey.nodes = [n for n in self.doc.journey.nodes if n.id not in removed]
        for nid in removed:
            self.doc.node_removed.emit(nid)
        for node in self.doc.journey.nodes:
            if node.id in self.referrers:
                for gone in removed:
                    _replace_references(node, gone, None)
                self.doc.node_changed.emit(node.id)

    def undo(self) -> None:
        nodes = self.doc.journey.nodes
        for index, node in self.removed:
            nodes.insert(index, copy.deepcopy(node))
            self.doc.node_added.emit(node.id)
        for i, node in enumerate(nodes):
            if node.id in self.referrers:
                nodes[i] = copy.deepcopy(self.referrers[node.id])
                self.doc.node_changed.emit(node.id)


class _EditNodeCommand(QUndoCommand):
    def __init__(
        self, doc: JourneyDocument, node_id: str, after: Node, text: str, merge_key: str | None
    ) -> None:
        super().__init__(text)
        self.doc = doc
        self.node_id = node_id
        self.before = copy.deepcopy(doc.node(node_id))
        self.after = copy.deepcopy(after)
        self.merge_key = merge_key

    def _set(self, node: Node | None) -> None:
        nodes = self.doc.journey.nodes
        for i, current in enumerate(nodes):
            if current.id == self.node_id and node is not None:
                nodes[i] = copy.deepcopy(node)
                self.doc.node_changed.emit(self.node_id)
                return

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)

    def id(self) -> int:
        return _MERGE_EDIT if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _EditNodeCommand):
            return False
        if other.node_id != self.node_id or other.merge_key != self.merge_key:
            return False
        self.after = copy.deepcopy(other.after)
        return True


class _RenameNodeCommand(QUndoCommand):
    def __init__(self, doc: JourneyDocument, old: str, new: str) -> None:
        super().__init__(f"Rename {old} to {new}")
        self.doc = doc
        self.old = old
        self.new = new

    def _rename(self, old: str, new: str) -> None:
        for node in self.doc.journey.nodes:
            if node.id == old:
                node.id = new
        self.doc.node_renamed.emit(old, new)
        for node in self.doc.journey.nodes:
            if _replace_references(node, old, new):
                self.doc.node_changed.emit(node.id)

    def redo(self) -> None:
        self._rename(self.old, self.new)

    def undo(self) -> None:
        self._rename(self.new, self.old)


class _MoveNodesCommand(QUndoCommand):
    def __init__(
        self, doc: JourneyDocument, moves: Mapping[str, tuple[float, float]], text: str
    ) -> None:
        super().__init__(text)
        self.doc = doc
        self.after = dict(moves)
        self.before = {nid: doc.node(nid).position for nid in moves}  # type: ignore[union-attr]

    def _apply(self, positions: Mapping[str, tuple[float, float] | None]) -> None:
        for nid, pos in positions.items():
            node = self.doc.node(nid)
            if node is not None:
                node.position = pos
                self.doc.node_moved.emit(nid)

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class _SetMetaCommand(QUndoCommand):
    def __init__(self, doc: JourneyDocument, field: str, value: str) -> None:
        super().__init__(f"Change {field}")
        self.doc = doc
        self.field = field
        self.before = getattr(doc.journey, field)
        self.after = value

    def _set(self, value: str) -> None:
        setattr(self.doc.journey, self.field, value)
        self.doc.meta_changed.emit()
        entry = self.doc.journey.entry()
        if self.field == "audience" and entry is not None:
            self.doc.node_changed.emit(entry.id)  # its card says who enters

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)

    def id(self) -> int:
        return _MERGE_META if self.field in _TYPED_META else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _SetMetaCommand) or other.field != self.field:
            return False
        self.after = other.after
        return True


class _EditRulesCommand(QUndoCommand):
    def __init__(self, doc: JourneyDocument, after: JourneyRules, text: str,
                 merge_key: str | None) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = copy.deepcopy(doc.rules())
        self.after = copy.deepcopy(after)
        self.merge_key = merge_key

    def _set(self, rules: JourneyRules) -> None:
        rules = copy.deepcopy(rules)
        self.doc.journey.goal = rules.goal
        self.doc.journey.exit_when = rules.exit_when
        self.doc.rules_changed.emit()

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)

    def id(self) -> int:
        return _MERGE_RULES if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _EditRulesCommand) or other.merge_key != self.merge_key:
            return False
        self.after = copy.deepcopy(other.after)
        return True
