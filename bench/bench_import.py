"""Audience import: a 1,000,000-row, 4-column CSV (about 55 MB).

Prints the import time as a ratio to the ``sqlite3`` command-line tool's ``.import`` of the
same file, measured in the same run (target: at most 2.0x), the import's peak memory (target:
under 150 MB, the peak RSS of the importing process) and, with the import running in the
window, the longest stall of the GUI thread (target: at most 100 ms, measured by a 10 ms
heartbeat QTimer).

    python bench/bench_import.py [--rows N] [--repeat N] [--no-gui]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = "customerId,firstName,city,birthday\n"
CITIES = ("Springfield", "Shelbyville", "Ogdenville", "North Haverbrook", "Capital City")
TARGET_RATIO = 2.0
TARGET_KEYED_RATIO = 1.5
TARGET_PEAK_MB = 150
TARGET_STALL_MS = 100
HEARTBEAT_MS = 10


def generate(path: Path, rows: int) -> None:
    """IDs in file order, names, cities and birthdays: about 55 bytes a row."""
    rnd = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        chunk: list[str] = []
        for i in range(rows):
            chunk.append(
                f"CUST{i:07d},Firstname{rnd.randrange(1_000_000):06d},{rnd.choice(CITIES)} "
                f"{rnd.randrange(1000)},{rnd.randrange(1950, 2006)}-{rnd.randrange(1, 13):02d}-"
                f"{rnd.randrange(1, 29):02d}\n"
            )
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)


def run_measured(cmd: list[str], **kwargs: object) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB of this child alone (from wait4) and its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, **kwargs)  # type: ignore[call-overload]
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.read().strip()}")
        return wall, usage.ru_maxrss / 1024, out.read()


def sqlite_baseline(sqlite3: str, csv_path: Path, work: Path, keyed: bool) -> float:
    """``.import`` into an equivalent table, with the pragmas the application uses."""
    db = work / ("baseline-keyed.db" if keyed else "baseline.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    key = " PRIMARY KEY" if keyed else ""
    script = (
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-32000;\n"
        f"CREATE TABLE customer (customerId TEXT{key}, firstName TEXT, city TEXT, birthday TEXT);\n"
        f".import --csv --skip 1 '{csv_path}' customer\n"
        "SELECT count(*) FROM customer;\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sqlite3, str(db)], input=script, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode or result.stderr.strip():
        raise SystemExit(f"sqlite3 .import failed: {result.stderr.strip()}")
    return elapsed


def child_import(data_dir: str, csv_path: str, profiles_only: bool = False) -> None:
    """In a fresh process: what ``audience import`` (or ``customers import``) does after
    opening the store."""
    from journey_desktop.domain.audience_csv import ImportPlan
    from journey_desktop.domain.audience_preview import preview_csv
    from journey_desktop.domain.journey import minimal_journey
    from journey_desktop.store import close_store, open_store
    from journey_desktop.store.audience import AudienceStore
    from journey_desktop.store.repository import JourneyRepository

    open_store(Path(data_dir))
    repo = JourneyRepository()
    journey_id = repo.create(minimal_journey("Bench"))
    started = time.perf_counter()
    plan = ImportPlan.from_preview(preview_csv(csv_path))
    store = AudienceStore(repo)
    result = (store.import_profiles(plan) if profiles_only
              else store.import_csv(journey_id, plan))
    elapsed = time.perf_counter() - started
    result.rejects.close()
    close_store()
    print(json.dumps({"seconds": elapsed, "read": result.read, "added": result.added}))


def child_gui(data_dir: str, csv_path: str) -> None:
    """The import flow in a window, with a heartbeat timer measuring GUI thread stalls."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from journey_desktop.domain.journey import minimal_journey
    from journey_desktop.store import open_store
    from journey_desktop.store.repository import JourneyRepository
    from journey_desktop.ui import prompts
    from journey_desktop.ui.imports import run_import_flow

    app = QApplication.instance() or QApplication([])
    open_store(Path(data_dir))
    repo = JourneyRepository()
    journey_id = repo.create(minimal_journey("Bench GUI"))
    prompts.inform = lambda *args: None  # type: ignore[assignment]
    prompts.show_error = lambda parent, title, text: print(text, file=sys.stderr)  # type: ignore[assignment]
    window = QWidget()
    window.resize(800, 600)
    window.show()
    settings = QSettings(str(Path(data_dir) / "settings.ini"), QSettings.Format.IniFormat)
    controller = run_import_flow(window, repo, journey_id, csv_path, settings=settings)
    assert controller.preview_dialog is not None
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0.0]

    worst = [0.0, 0.0]  # longest gap, when it began

    def beat() -> None:
        now = clock.nsecsElapsed() / 1e6
        if now - last[0] > worst[0]:
            worst[:] = [now - last[0], last[0]]
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    done = QEventLoop()
    controller.audience_imported.connect(done.quit)
    controller.finished.connect(done.quit)
    clock.start()
    heartbeat.start()
    started = time.perf_counter()
    controller.preview_dialog.accept()
    done.exec()
    elapsed = time.perf_counter() - started
    heartbeat.stop()
    result = controller.result
    print(json.dumps({
        "seconds": elapsed,
        "max_gap_ms": max(gaps) if gaps else float("nan"),
        "max_gap_at_s": worst[1] / 1000,
        "beats": len(gaps),
        "added": result.added if result else 0,
    }))
    app.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-gui", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DATA_DIR", "CSV"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, data_dir, csv_path = args.child
        if kind == "gui":
            child_gui(data_dir, csv_path)
        else:
            child_import(data_dir, csv_path, profiles_only=kind == "customers")
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        csv_path = work / "audience.csv"
        generate(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows, 4 columns, {size_mb:.1f} MB")
        sqlite3 = shutil.which("sqlite3")
        if sqlite3 is None:
            print("sqlite3 command-line tool not found: the ratio is skipped")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        plain: list[float] = []
        keyed: list[float] = []
        ours: list[float] = []
        walls: list[float] = []
        peaks: list[float] = []
        profiles: list[float] = []
        profile_peaks: list[float] = []
        for rep in range(args.repeat):
            if sqlite3:
                plain.append(sqlite_baseline(sqlite3, csv_path, work, keyed=False))
                keyed.append(sqlite_baseline(sqlite3, csv_path, work, keyed=True))
            data_dir = work / f"data-{rep}"
            wall, peak, out = run_measured(
                [sys.executable, __file__, "--child", "import", str(data_dir), str(csv_path)],
                env=env)
            report = json.loads(out)
            assert report["added"] == args.rows, report
            ours.append(report["seconds"])
            walls.append(wall)
            peaks.append(peak)
            shutil.rmtree(data_dir)
            _, peak, out = run_measured(
                [sys.executable, __file__, "--child", "customers", str(data_dir), str(csv_path)],
                env=env)
            report = json.loads(out)
            assert report["added"] == args.rows, report
            profiles.append(report["seconds"])
            profile_peaks.append(peak)
            shutil.rmtree(data_dir)
        ours_s = statistics.median(ours)
        print(f"journey-desktop import: {ours_s:.2f} s median of {args.repeat} "
              f"({', '.join(f'{s:.2f}' for s in ours)}); "
              f"whole process {statistics.median(walls):.2f} s")
        print(f"peak memory (RSS of the importing process): {max(peaks):.0f} MB "
              f"(target < {TARGET_PEAK_MB} MB)")
        profiles_s = statistics.median(profiles)
        print(f"customers import (profiles alone): {profiles_s:.2f} s median "
              f"({', '.join(f'{s:.2f}' for s in profiles)}), peak memory "
              f"{max(profile_peaks):.0f} MB")
        if sqlite3:
            plain_s, keyed_s = statistics.median(plain), statistics.median(keyed)
            print(f"sqlite3 .import, plain table: {plain_s:.2f} s "
                  f"({', '.join(f'{s:.2f}' for s in plain)})")
            print(f"sqlite3 .import, ID as PRIMARY KEY: {keyed_s:.2f} s "
                  f"({', '.join(f'{s:.2f}' for s in keyed)})")
            print(f"ratio to sqlite3 .import (plain table): {ours_s / plain_s:.2f}x "
                  f"(target <= {TARGET_RATIO}x)")
            print(f"ratio to sqlite3 .import (keyed table): {ours_s / keyed_s:.2f}x "
                  f"(target <= {TARGET_KEYED_RATIO}x); customers import: "
                  f"{profiles_s / keyed_s:.2f}x")
        if not args.no_gui:
            data_dir = work / "data-gui"
            env_gui = {**env, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
            _, _, out = run_measured(
                [sys.executable, __file__, "--child", "gui", str(data_dir), str(csv_path)],
                env=env_gui)
            report = json.loads(out)
            print(f"import in the window: {report['seconds']:.2f} s, longest GUI stall "
                  f"{report['max_gap_ms']:.0f} ms between {HEARTBEAT_MS} ms heartbeats "
                  f"(target <= {TARGET_STALL_MS} ms), {report['beats']:,} beats; the longest "
                  f"began {report['max_gap_at_s']:.2f} s after the import was started")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
