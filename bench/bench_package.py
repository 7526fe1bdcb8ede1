"""The packaged app (docs/BENCHMARKS.md, "Packaged app"): its size on disk (target under
150 MB) and its cold start to a shown window against a bare PySide6 window started in the
same run (target within 3x).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_package.py [--rebuild]

Builds ``dist/journey-desktop/`` with build.spec first when it is missing (or with
``--rebuild``); needs the ``package`` extra (PyInstaller).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "journey-desktop"
EXECUTABLE = BUNDLE / ("journey-desktop.exe" if os.name == "nt" else "journey-desktop")
RUNS = 7

BARE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1180, 700)
window.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""


def bundle_size(folder: Path) -> int:
    """Bytes on disk, each file once (the bundle links some libraries under two names)."""
    return sum(f.lstat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def time_to_shown(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or "shown" not in result.stdout:
        raise RuntimeError(f"{command[0]} did not show its window: {result.stderr[-500:]}")
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    if args.rebuild or not EXECUTABLE.exists():
        print("building dist/journey-desktop with build.spec ...", flush=True)
        subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                        str(ROOT / "build.spec")], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    size = bundle_size(BUNDLE)
    print(f"bundle size: {size / 1024 / 1024:.0f} MB ({size:,} bytes; target < 150 MB)")

    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               JOURNEY_DESKTOP_STARTUP_PROBE="1")
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        app = [str(EXECUTABLE), "--data-dir", str(Path(tmp) / "data")]
        bare = [sys.executable, "-c", BARE_WINDOW]
        first = time_to_shown(app, env)  # the first start also creates the database
        bare_times, app_times = [], []
        for _ in range(RUNS):
            bare_times.append(time_to_shown(bare, env))
            app_times.append(time_to_shown(app, env))
    bare_ms = statistics.median(bare_times) * 1000
    app_ms = statistics.median(app_times) * 1000
    print(f"first start of the bundle (new data folder): {first * 1000:.0f} ms")
    print(f"bare PySide6 window, median of {RUNS}: {bare_ms:.0f} ms")
    print(f"bundle to a shown window, median of {RUNS}: {app_ms:.0f} ms")
    print(f"ratio: {app_ms / bare_ms:.2f}x (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
