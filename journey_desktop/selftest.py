"""``journey-desktop --self-test``: one journey end to end on a temporary data folder,
offscreen, through the same command line and window a user has."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from journey_desktop.paths import resource_path


def _run(args: list[str]) -> tuple[int, str, str]:
    from journey_desktop.cli import run_command

    out, err = io.StringIO(), io.StringIO()
    code = run_command(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _birthday_today(today: dt.date) -> str:
    """A birth date whose anniversary is today (a leap year's 29 February included)."""
    year = 1992 if (today.month, today.day) == (2, 29) else 1990
    return today.replace(year=year).isoformat()


def run_self_test() -> int:
    """Exit 0 when every step works; prints each step so a failure says where."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="journey-desktop-selftest-"))
    try:
        data = ["--data-dir", str(folder / "data")]
        today = dt.date.today()
        audience = folder / "audience.csv"
        audience.write_text(
            "customerId,firstName,birthday\n"
            f"c1,Ann,{_birthday_today(today)}\n"
            "c2,Bob,1985-01-01\n",
            encoding="utf-8",
        )
        example = resource_path("examples", "birthday.json")
        steps: list[tuple[str, list[str], int]] = [
            ("create", ["create", str(example)], 0),
            ("validate", ["validate", "Birthday greetings"], 0),
            ("activate", ["activate", "Birthday greetings"], 0),
            ("import", ["audience", "import", "Birthday greetings", str(audience)], 0),
            ("tick", ["tick"], 0),
        ]
        for label, args, expected in steps:
            code, out, err = _run(data + args)
            if code != expected:
                print(f"self-test: {label} failed (exit {code}): {err.strip() or out.strip()}")
                return 1
            print(f"self-test: {label} ok")
        code, out, err = _run(data + ["stats", "Birthday greetings", "--json"])
        stats = json.loads(out) if code == 0 else {}
        if stats.get("audience") != 2 or stats.get("messages", {}).get("push") != 1:
            print(f"self-test: stats unexpected: {out.strip() or err.strip()}")
            return 1
        print("self-test: stats ok (2 customers, 1 push)")
        if not _window_opens(folder / "data"):
            return 1
        print("self-test: passed")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _window_opens(data_dir: Path) -> bool:
    from PySide6.QtCharts import QChartView
    from PySide6.QtWidgets import QApplication, QTableView

    from journey_desktop.store import close_store, open_store
    from journey_desktop.ui.main import MainWindow
    from journey_desktop.ui.stats import StatsWindow

    app = QApplication.instance() or QApplication([])
    open_store(data_dir)
    try:
        window = MainWindow(data_dir)
        window.show()
        app.processEvents()
        table = window.findChild(QTableView, "journey_table")
        rows = table.model().rowCount() if table is not None else -1
        window.select_journey(1)
        window.action_stats.trigger()  # the charts (QtCharts) must be in the bundle too
        views = [w for w in QApplication.topLevelWidgets() if isinstance(w, StatsWindow)]
        for view in views:
            if view.loading:
                _wait_for(view.stats_loaded, view.stats_failed)
        charts = [chart for view in views for chart in view.findChildren(QChartView)]
        window.close()
    finally:
        close_store()
    if rows != 1:
        print(f"self-test: the window shows {rows} journeys, expected 1")
        return False
    if not charts:
        print("self-test: the statistics window shows no charts")
        return False
    print("self-test: window ok")
    return True


def _wait_for(*signals: object) -> None:
    """Run the event loop until one of the signals fires (at most ten seconds)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    for signal in signals:
        signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(10_000, loop.quit)
    loop.exec()
