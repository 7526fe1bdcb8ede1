"""Automatic top-to-bottom layout of a journey graph (plain Python, no Qt).

Each node sits under the node that dominates it, so that every branch of a condition or a
split keeps its own columns. A node where branches join again is centred under the node
that opened them, below everything those branches hold, and a direct arrow from a branching
node to such a join gets an empty column of its own so it never runs through a card.
"""

from __future__ import annotations

from collections.abc import Mapping

from journey_desktop.domain.journey import Journey

CARD_WIDTH = 270.0
CARD_HEIGHT = 90.0
COLUMN_WIDTH = CARD_WIDTH + 50.0
ROW_HEIGHT = CARD_HEIGHT + 60.0

_ROOT = "\x00root"


class _Graph:
    def __init__(self, journey: Journey) -> None:
        self.ids = [n.id for n in journey.nodes]
        known = set(self.ids)
        self.out: dict[str, list[str]] = {_ROOT: []}
        for node in journey.nodes:
            targets: list[str] = []
            for _field, target in node.targets():
                if target and target in known and target != node.id and target not in targets:
                    targets.append(target)
            self.out.setdefault(node.id, targets)
        entries = [n.id for n in journey.nodes if n.type == "entry"]
        self.preorder: dict[str, int] = {}
        postorder: list[str] = []
        self.dag: dict[str, list[str]] = {nid: [] for nid in self.out}
        # Depth-first search from the entry, then from whatever it does not reach;
        # edges back to a node still on the stack close a cycle and are left out.
        state: dict[str, int] = {}
        for root in entries + self.ids:
            if root in state:
                continue
            self.dag[_ROOT].append(root)
            state[root] = 1
            self.preorder[root] = len(self.preorder)
            stack: list[tuple[str, int]] = [(root, 0)]
            while stack:
                current, i = stack.pop()
                children = self.out[current]
                if i < len(children):
                    stack.append((current, i + 1))
                    child = children[i]
                    seen = state.get(child)
                    if seen is None:
                        self.dag[current].append(child)
                        state[child] = 1
                        self.preorder[child] = len(self.preorder)
                        stack.append((child, 0))
                    elif seen == 2:
                        self.dag[current].append(child)
                    continue
                state[current] = 2
                postorder.append(current)
        self.rpo = [_ROOT] + list(reversed(postorder))
        self.preds: dict[str, list[str]] = {nid: [] for nid in self.dag}
        for source, targets in self.dag.items():
            for target in targets:
                self.preds[target].append(source)
        self.idom = self._dominators()

    def _dominators(self) -> dict[str, str]:
        index = {nid: i for i, nid in enumerate(self.rpo)}
        idom: dict[str, str] = {_ROOT: _ROOT}

        def intersect(a: str, b: str) -> str:
            while a != b:
                while index[a] > index[b]:
                    a = idom[a]
                while index[b] > index[a]:
                    b = idom[b]
            return a

        for nid in self.rpo[1:]:  # one pass suffices on an acyclic graph in this order
            preds = [p for p in self.preds[nid] if p in idom]
            new = preds[0]
            for pred in preds[1:]:
                new = intersect(pred, new)
            idom[nid] = new
        return idom


class _Placer:
    def __init__(self, graph: _Graph) -> None:
        self.g = graph
        self.branch_children: dict[str, list[str]] = {nid: [] for nid in graph.dag}
        self.join_children: dict[str, list[str]] = {nid: [] for nid in graph.dag}
        for nid in sorted(graph.idom, key=lambda n: graph.preorder.get(n, -1)):
            if nid == _ROOT:
                continue
            parent = graph.idom[nid]
            if len(graph.preds[nid]) == 1 and graph.preds[nid][0] == parent:
                self.branch_children[parent].append(nid)
            else:
                self.join_children[parent].append(nid)
        self.slots: dict[str, list[str | None]] = {}
        self.widths: dict[str, float] = {}
        self.centre: dict[str, float] = {}
        self.level: dict[str, int] = {}

    def _slots(self, nid: str) -> list[str | None]:
        """Side-by-side children in the order of the node's outputs; None is an empty lane."""
        branches = set(self.branch_children[nid])
        slots: list[str | None] = []
        placed: set[str] = set()
        for target in self.g.dag[nid]:
            if target in branches:
                if target not in placed:
                    slots.append(target)
                    placed.add(target)
            elif len(self.g.dag[nid]) > 1:
                slots.append(None)
        slots.extend(b for b in self.branch_children[nid] if b not in placed)
        return slots

    def width(self, nid: str) -> float:
        if nid in self.widths:
            return self.widths[nid]
        slots = self._slots(nid)
        self.slots[nid] = slots
        side = sum(1.0 if s is None else self.width(s) for s in slots)
        joins = max((self.width(j) for j in self.join_children[nid]), default=0.0)
        result = max(1.0, side, joins)
        self.widths[nid] = result
        return result

    def place(self, nid: str, left: float, level: int) -> int:
        """Places a subtree in columns [left, left + width); returns its deepest level."""
        width = self.width(nid)
        self.centre[nid] = left + width / 2
        self.level[nid] = level
        slots = self.slots[nid]
        side = sum(1.0 if s is None else self.width(s) for s in slots)
        cursor = left + (width - side) / 2
        deepest = level
        for slot in slots:
            if slot is None:
                cursor += 1.0
                continue
            deepest = max(deepest, self.place(slot, cursor, level + 1))
            cursor += self.width(slot)
        for join in self.join_children[nid]:
            join_width = self.width(join)
            deepest = self.place(join, left + (width - join_width) / 2, deepest + 1)
        return deepest


def _pull_down(graph: _Graph, placer: _Placer) -> None:
    """Move a node down next to its successors when its own columns are free, so that a
    short branch meets the join in a short arrow instead of a long one across others."""
    for nid in sorted(placer.level, key=lambda n: -placer.level[n]):
        successors = graph.dag.get(nid, [])
        if nid == _ROOT or not successors:
            continue
        target = min(placer.level[s] for s in successors) - 1
        level = placer.level[nid]
        if target <= level:
            continue
        centre = placer.centre[nid]
        blocked = any(
            other != nid
            and abs(placer.centre[other] - centre) < 1
            and level < placer.level[other] <= target
            for other in placer.level
            if other != _ROOT
        )
        if not blocked:
            placer.level[nid] = target


def auto_layout(journey: Journey) -> dict[str, tuple[float, float]]:
    """Top-left card positions for every node, top to bottom from the entry."""
    graph = _Graph(journey)
    placer = _Placer(graph)
    try:
        placer.width(_ROOT)
        placer.place(_ROOT, 0.0, -1)
    except RecursionError:  # an extremely long chain: fall back to a plain grid
        return {
            nid: ((i % 10) * COLUMN_WIDTH, (i // 10) * ROW_HEIGHT)
            for i, nid in enumerate(graph.ids)
        }
    _pull_down(graph, placer)
    positions: dict[str, tuple[float, float]] = {}
    for nid in graph.ids:
        centre = placer.centre.get(nid, 0.0)
        level = placer.level.get(nid, 0)
        positions.setdefault(
            nid, (round(centre * COLUMN_WIDTH - CARD_WIDTH / 2), round(level * ROW_HEIGHT))
        )
    return positions


def place_below(
    positions: Mapping[str, tuple[float, float]], source: str, output: int, outputs: int
) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """Where a step inserted after ``source``'s output number ``output`` (of ``outputs``)
    goes: one row below it, under its port; and the cards moved a row down to make room
    (those at that row or lower), so nothing overlaps."""
    x, y = positions[source]
    new_x = x + (output - (outputs - 1) / 2) * COLUMN_WIDTH
    new_y = y + ROW_HEIGHT

    def overlaps(px: float, py: float) -> bool:
        return abs(px - new_x) < CARD_WIDTH + 20 and abs(py - new_y) < CARD_HEIGHT + 20

    if not any(overlaps(*pos) for nid, pos in positions.items() if nid != source):
        return (new_x, new_y), {}
    moves = {
        nid: (px, py + ROW_HEIGHT)
        for nid, (px, py) in positions.items()
        if nid != source and py > y + CARD_HEIGHT / 2
    }
    return (new_x, new_y), moves
