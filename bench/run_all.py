"""Run every ``bench/bench_*.py`` script in turn (``make bench``); each prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    selected = argv or [p.stem for p in sorted(HERE.glob("bench_*.py"))]
    failures = 0
    for name in selected:
        script = HERE / f"{name.removesuffix('.py')}.py"
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        if result.returncode != 0:
            failures += 1
            print(f"!! {script.name} exited with {result.returncode}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
