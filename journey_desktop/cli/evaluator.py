"""Evaluator commands: ``tick``, ``run``, ``outbox export``, ``stats``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from journey_desktop.cli import delivery, goals
from journey_desktop.cli.context import EXIT_NO, EXIT_OK, CliContext, CliError, parse_now
from journey_desktop.store.db import database
from journey_desktop.store.delivery import delivery_json, node_delivery
from journey_desktop.store.evaluator import DEFAULT_BATCH_SIZE, Evaluator
from journey_desktop.store.evaluator_lock import (
    HEARTBEAT_EVERY,
    EvaluatorBusyError,
    EvaluatorLock,
)
from journey_desktop.store.export_lock import ExportBusyError
from journey_desktop.store.outbox import (
    DELIMITERS,
    ExportError,
    OutboxFilter,
    export_csv,
    export_file,
)
from journey_desktop.store.postgres import TeamConnectionError, retry_in
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import journey_stats


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("tick", help="one evaluation of every active journey")
    p.add_argument("--now", metavar="ISO8601", type=parse_now,
                   help="evaluate at this time instead of the clock")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_tick, writes=True)

    p = commands.add_parser("run", help="run the evaluator headless until interrupted")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_run, writes=True)

    p = commands.add_parser("outbox", help="the messages written by the evaluator")
    sub = p.add_subparsers(dest="outbox_command", metavar="COMMAND", required=True)
    q = sub.add_parser(
        "export", help="export messages to CSV (and mark them exported)",
        description="Write messages as CSV and mark them exported; one export at a time "
        "(exit 1 while another runs). With -o the file is UTF-8 with a BOM, for spreadsheets.")
    q.add_argument("--journey", metavar="JOURNEY")
    q.add_argument("--new", action="store_true", help="only messages not exported before")
    q.add_argument("-o", "--output", metavar="FILE.csv")
    q.add_argument("--delimiter", choices=DELIMITERS, default=DELIMITERS[0], metavar="CHAR",
                   help="',' (the default) or ';' (for spreadsheets that use a decimal comma)")
    q.set_defaults(handler=cmd_outbox_export, writes=True)
    delivery.add_report_command(sub)

    p = commands.add_parser("stats", help="a journey's statistics")
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--json", action="store_true")
    goals.add_stats_options(p)
    p.set_defaults(handler=cmd_stats)


def _lock_or_refuse(ctx: CliContext) -> EvaluatorLock:
    ctx.open()
    lock = EvaluatorLock()
    try:
        lock.acquire()
    except EvaluatorBusyError as exc:
        raise CliError(str(exc), EXIT_NO) from None
    return lock


def cmd_tick(ctx: CliContext, args: argparse.Namespace) -> int:
    lock = _lock_or_refuse(ctx)
    try:
        now = args.now if args.now is not None else int(time.time())
        evaluator = Evaluator(batch_size=args.batch_size, on_batch=lock.heartbeat)
        summary = evaluator.tick(now)
    finally:
        lock.release()
    ctx.print(f"now: {dt.datetime.fromtimestamp(now).astimezone().isoformat()}")
    for line in summary.lines():
        ctx.print(line)
    # A journey that failed was skipped, the others ran: each is named, and the answer is no.
    for failure in summary.failures:
        ctx.err.write(f"journey-desktop: journey {failure.name!r} (id {failure.journey_id}) "
                      f"failed and was skipped: {failure.error}\n")
    return EXIT_NO if summary.failures else EXIT_OK


def cmd_run(ctx: CliContext, args: argparse.Namespace) -> int:
    lock = _lock_or_refuse(ctx)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        interval = SettingsRepository().tick_interval()
        ctx.print(f"evaluator running in process {lock.pid} on host {lock.host}, "
                  f"ticking every {interval} s; Ctrl+C to stop")
        ctx.out.flush()
        evaluator = Evaluator(batch_size=args.batch_size, on_batch=lock.heartbeat,
                              cancelled=stop.is_set)
        run_ticks(ctx, evaluator, lock, stop, interval)
        ctx.print("evaluator stopped")
        return EXIT_OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()


def run_ticks(ctx: CliContext, evaluator: Evaluator, lock: EvaluatorLock,
              stop: threading.Event, interval: int, *,
              clock: Callable[[], float] = time.time,
              wait: Callable[[float], object] | None = None) -> None:
    """``run``'s ticks, one per interval, until ``stop``; a tick that lost the team
    database's connection is tried again sooner (``retry_in``: 5 s, 10 s, 20 s…)."""
    pause = wait if wait is not None else stop.wait
    lost = 0
    while not stop.is_set():
        started = clock()
        next_in = interval
        try:
            summary = evaluator.tick(int(started))
        except TeamConnectionError as exc:
            if stop.is_set():
                break
            lost += 1
            next_in = retry_in(lost, interval)
            ctx.err.write(f"journey-desktop: tick failed: {exc}; trying again in {next_in} s\n")
        except Exception as exc:  # keep running: the next tick retries
            if stop.is_set():
                break
            ctx.err.write(f"journey-desktop: tick failed: {exc}\n")
        else:
            if lost:
                ctx.print("connected to the team database again")
                lost = 0
            ctx.print(f"{dt.datetime.fromtimestamp(summary.now).astimezone():%Y-%m-%d %H:%M:%S}"
                      f"  entered {summary.entered}, messages {summary.messages}, "
                      f"completed {summary.completed}")
            for note in summary.problems():  # a failed journey, a clock gone back
                ctx.print(f"  {note}")
        ctx.out.flush()
        ctx.err.flush()
        deadline = started + next_in
        while not stop.is_set() and clock() < deadline:
            pause(min(HEARTBEAT_EVERY, max(0.0, deadline - clock())))
            if not lock.heartbeat():
                raise CliError("the evaluator lock was taken over by another process",
                               EXIT_NO)


def cmd_outbox_export(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.open()
    flt = OutboxFilter()
    if args.journey:
        flt.journey_id = ctx.journey(args.journey).id
    now = int(time.time())
    try:
        if args.output:
            target = ctx.output_file(args.output)
            result = export_file(target, flt, only_new=args.new, now=now,
                                 delimiter=args.delimiter)
            ctx.err.write(f"exported: {result.written}\n")
        else:
            export_csv(ctx.out, flt, only_new=args.new, now=now, delimiter=args.delimiter)
    except ExportBusyError as exc:
        raise CliError(str(exc), EXIT_NO) from None
    except ExportError as exc:
        raise CliError(f"{exc}; nothing was marked exported") from None
    return EXIT_OK


def cmd_stats(ctx: CliContext, args: argparse.Namespace) -> int:
    stored = ctx.journey(args.journey)
    results = goals.results(stored.id)
    if args.results_csv:
        goals.write_csv(ctx, stored.journey.name, results, args.results_csv, args.delimiter)
        return EXIT_OK
    stats = journey_stats(stored.id, database)
    messages = node_delivery(stored.id, database)
    if args.json:
        data = {**stats.to_json(), "delivery": delivery_json(messages),
                **goals.results_json(results)}
        ctx.print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    ctx.print(f"{stored.journey.name} ({stored.status})")
    for label, value in (("audience", stats.audience), ("entered", stats.entered),
                         ("in progress", stats.in_progress), ("completed", stats.completed),
                         ("stopped", stats.stopped)):
        ctx.print(f"{label}: {value}")
    channels = ", ".join(f"{c} {n}" for c, n in stats.messages.items()) or "none"
    ctx.print(f"messages: {stats.message_total} ({channels})")
    if stats.held or stats.suppressed:
        ctx.print(f"held: {stats.held}")
        for reason, count in stats.suppressed.items():
            ctx.print(f"suppressed ({reason}): {count}")
    ctx.print("nodes:")
    for node, count in stats.nodes.items():
        ctx.print(f"  {node}: {count}")
    if stats.wait_events:  # the keys of ``stats --json``'s ``wait_events``, in words
        ctx.print("waits for an event:")
        for node, waits in stats.wait_events.items():
            ctx.print(f"  {node}: matched {waits.matched}, timed out {waits.timed_out},"
                      f" late {waits.late}")
    if messages:
        ctx.print("delivery:")
        for line in delivery.delivery_lines(messages):
            ctx.print(line)
    for line in results.lines() if results is not None else ():
        ctx.print(line)
    return EXIT_OK
