"""Editor: time from opening a 200-node journey to the canvas first painted, and panning.

Run alone with ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_editor.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from journey_desktop.domain.journey import (  # noqa: E402
    Branch,
    Condition,
    Duration,
    Filter,
    Journey,
    Node,
)

NODES = 200
RUNS = 7
TARGET_MS = 500.0


def _message(node_id: str, channel: str, text: str, next_id: str) -> Node:
    content = {
        "push": {"title": text, "body": "Open the app to see more."},
        "email": {"subject": text, "body": "Read on for the details."},
        "sms": {"body": text},
    }[channel]
    return Node(id=node_id, type="message", channel=channel, content=content, next=next_id)


def large_journey(size: int = NODES) -> Journey:
    """A valid journey of ``size`` nodes: repeated wait, condition, A/B split and rejoin."""
    nodes = [
        Node(
            id="start",
            type="entry",
            filter=Filter("all", [Condition("signupDate", "within_last_days", 30)]),
            next="wait_0",
        )
    ]
    block = 0
    while len(nodes) + 7 <= size - 1:
        b = block
        after = f"wait_{b + 1}"
        nodes += [
            Node(id=f"wait_{b}", type="wait", duration=Duration(1, "days"), at_time="09:00",
                 next=f"check_{b}"),
            Node(id=f"check_{b}", type="condition",
                 filter=Filter("all", [Condition("plan", "equals", "premium")]),
                 yes=f"premium_{b}", no=f"split_{b}"),
            _message(f"premium_{b}", "email", f"Premium news #{b}, {{{{firstName}}}}",
                     f"follow_{b}"),
            Node(id=f"split_{b}", type="split",
                 branches=[Branch(50, f"offer_a_{b}"), Branch(50, f"offer_b_{b}")]),
            _message(f"offer_a_{b}", "push", f"Offer A, week {b}", f"follow_{b}"),
            _message(f"offer_b_{b}", "sms", f"Offer B, week {b}: reply YES", f"follow_{b}"),
            _message(f"follow_{b}", "push", f"How was week {b}?", after),
        ]
        block += 1
    extra = 0
    while len(nodes) < size - 1:
        nodes.append(_message(f"wait_{block}" if extra == 0 else f"extra_{extra}", "push",
                              f"Extra {extra}", f"extra_{extra + 1}"))
        extra += 1
    nodes[-1].next = "end"
    nodes.append(Node(id="end", type="exit"))
    return Journey(name="Large journey", description=f"{size} nodes", nodes=nodes)


def main() -> int:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from journey_desktop.domain.validation import validate
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.repository import JourneyRepository
    from journey_desktop.ui.editor import EditorWindow
    from journey_desktop.ui.editor.layout import auto_layout

    app = QApplication.instance() or QApplication(sys.argv)
    journey = large_journey(NODES)
    assert len(journey.nodes) == NODES
    problems = validate(journey).problems
    assert not problems, problems[:3]

    class FirstPaint(QObject):
        def __init__(self, loop: QEventLoop) -> None:
            super().__init__()
            self.loop = loop
            self.painted_at = 0.0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.painted_at:
                QTimer.singleShot(0, self._done)
            return False

        def _done(self) -> None:
            self.painted_at = time.perf_counter()
            self.loop.quit()

    with tempfile.TemporaryDirectory() as folder:
        open_store(Path(folder))
        repo = JourneyRepository()
        journey_id = repo.create(journey)

        start = time.perf_counter()
        for _ in range(20):
            auto_layout(journey)
        layout_ms = (time.perf_counter() - start) / 20 * 1000

        open_times = []
        window = None
        for _ in range(RUNS):
            loop = QEventLoop()
            watcher = FirstPaint(loop)
            start = time.perf_counter()
            window = EditorWindow(repo, journey_id)
            window.canvas.viewport().installEventFilter(watcher)
            window.show()
            QTimer.singleShot(5000, loop.quit)
            loop.exec()
            open_times.append((watcher.painted_at - start) * 1000)
            window.canvas.viewport().removeEventFilter(watcher)
            window.close()
            window.deleteLater()
            app.processEvents()

        window = EditorWindow(repo, journey_id)
        window.show()
        app.processEvents()
        canvas = window.canvas

        def pan_frames(zoom: float) -> list[float]:
            """Scroll step by step, painting each frame synchronously as a drag would."""
            canvas.resetTransform()
            canvas.scale(zoom, zoom)
            bar = canvas.verticalScrollBar()
            hbar = canvas.horizontalScrollBar()
            frames = []
            for step in range(60):
                start = time.perf_counter()
                v_range = max(1, bar.maximum() - bar.minimum())
                h_range = max(1, hbar.maximum() - hbar.minimum())
                bar.setValue(bar.minimum() + (step * 120) % v_range)
                hbar.setValue(hbar.minimum() + (step * 90) % h_range)
                canvas.viewport().repaint()
                frames.append((time.perf_counter() - start) * 1000)
            return frames

        frames = pan_frames(1.0)
        frames_out = pan_frames(0.3)
        window.close()
        close_store()

    median_open = statistics.median(open_times)
    print(f"editor: {NODES}-node journey, {RUNS} runs")
    print(f"  auto layout:              {layout_ms:7.1f} ms")
    print(f"  open-to-shown (median):   {median_open:7.1f} ms   "
          f"(min {min(open_times):.1f}, max {max(open_times):.1f}; target < {TARGET_MS:.0f} ms)")
    print(f"  pan frame at 100 % (median of {len(frames)}): {statistics.median(frames):7.1f} ms   "
          f"(max {max(frames):.1f} ms)")
    print(f"  pan frame at 30 %  (median of {len(frames_out)}): "
          f"{statistics.median(frames_out):7.1f} ms   (max {max(frames_out):.1f} ms)")
    ok = median_open < TARGET_MS
    print("  result: " + ("OK" if ok else "TOO SLOW"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
