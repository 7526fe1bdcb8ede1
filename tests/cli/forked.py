"""The command line in a process of its own, forked from the test's process instead of
started afresh: the same separate process (its own pid, locks and connections, killed by a
real SIGKILL), without the second or so a new interpreter takes to import the application.
The tests that kill a tick at every batch start a hundred such processes.

The fork is taken only while the test's process holds no database open; a test that needs
a command to run beside its own open store (or beside patched code) starts a new
interpreter instead (``run_cli`` without ``forked``).
"""

from __future__ import annotations

import locale
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path


def can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(os, "pidfd_open")


def run_forked(argv: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float,
               crash_after: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m journey_desktop ARGV`` as ``subprocess.run(capture_output=True,
    text=True)`` reports it; ``crash_after``: killed after that many batch commits."""
    from journey_desktop.store.db import database, proxy

    # The child would close the parent's connection (a team database's socket is shared).
    assert proxy.obj is None or database.is_closed(), "close the store before forking"
    encoding = locale.getpreferredencoding(False)
    with tempfile.TemporaryDirectory(prefix="jd-forked-") as folder:
        out_path, err_path = Path(folder, "out"), Path(folder, "err")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _child(list(argv), env, cwd, out_path, err_path, encoding, crash_after)
        pidfd = os.pidfd_open(pid)
        try:
            ended, _, _ = select.select([pidfd], [], [], timeout)
            if not ended:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(list(argv), timeout)
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(pidfd)
        return subprocess.CompletedProcess(
            list(argv), os.waitstatus_to_exitcode(status),
            out_path.read_text(encoding=encoding, errors="replace"),
            err_path.read_text(encoding=encoding, errors="replace"),
        )


def _child(argv: list[str], env: dict[str, str], cwd: Path, out_path: Path, err_path: Path,
           encoding: str, crash_after: int | None) -> None:
    code = 1
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL if number != signal.SIGINT
                          else signal.default_int_handler)
        os.environ.clear()
        os.environ.update(env)
        time.tzset()
        os.chdir(cwd)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        for fd, path in ((1, out_path), (2, err_path)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding=encoding, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding=encoding, closefd=False)  # noqa: SIM115
        if crash_after is not None:
            from tests.cli.crash_after import kill_after

            kill_after(crash_after)
        from journey_desktop.__main__ import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - a child reports whatever ended it, as Python would
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
