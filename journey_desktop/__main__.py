"""Entry point: ``journey-desktop`` opens the window; with a command, runs it headless."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from journey_desktop.cli import build_parser, run_command
    from journey_desktop.logs import configure_logging

    configure_logging()
    try:
        parsed = build_parser().parse_args(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    if parsed.self_test:
        from journey_desktop.selftest import run_self_test

        return run_self_test()
    if parsed.command is None:
        from journey_desktop.app import run_gui

        return run_gui(parsed.data_dir, parsed.database)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
