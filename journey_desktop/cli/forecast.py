"""``forecast``: the journey on a virtual clock (SPEC §8)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from journey_desktop.cli.context import EXIT_OK, CliContext, CliError, parse_now
from journey_desktop.domain import engine
from journey_desktop.domain.collisions import (
    DEFAULT_COLLISION_LIMIT,
    MAX_COLLISION_LIMIT,
    TOP_PRINTED,
    summary_text,
)
from journey_desktop.domain.forecast import DEFAULT_MAX_MESSAGES_PER_DAY, MAX_DAYS, channels_of
from journey_desktop.domain.forecast_goals import goal_keys
from journey_desktop.store.forecast import ForecastError, ForecastResult, run_forecast
from journey_desktop.store.settings import SettingsRepository
from journey_desktop.store.stats import TraceStep

# Far above any real daily count, and within what the database compares.
MAX_PER_DAY_LIMIT = 1_000_000


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "forecast", help="simulate a journey for N days",
        description="Run the evaluator over a copy of the journey and its audience on a "
        "virtual clock, writing nothing. A draft runs with its stored activation options.",
    )
    p.add_argument("journey", metavar="JOURNEY")
    p.add_argument("--days", type=int, required=True, metavar="N",
                   help=f"local days to simulate, 1 to {MAX_DAYS} (the first is today's rest)")
    p.add_argument("--from", dest="start", metavar="ISO8601", type=parse_now,
                   help="start at this time instead of now (no offset: local time)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--max-per-day", type=int, default=DEFAULT_MAX_MESSAGES_PER_DAY,
                   metavar="N", help="warn about customers getting more than N messages "
                   f"in one day (default {DEFAULT_MAX_MESSAGES_PER_DAY})")
    p.add_argument("--customer", metavar="ID", help="also print this customer's trace")
    p.add_argument("--events", metavar="FILE", type=Path,
                   help="an events file (CSV or JSON Lines) replayed at its timestamps")
    p.add_argument("--collisions", type=int, nargs="?", const=DEFAULT_COLLISION_LIMIT,
                   metavar="N", help="forecast every active journey with this one and list "
                   "the customers who would get more than N messages on one local day "
                   f"(default {DEFAULT_COLLISION_LIMIT})")
    p.set_defaults(handler=cmd_forecast)


def cmd_forecast(ctx: CliContext, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        raise CliError(f"--days must be from 1 to {MAX_DAYS}")
    if not 0 <= args.max_per_day <= MAX_PER_DAY_LIMIT:
        raise CliError(f"--max-per-day must be from 0 to {MAX_PER_DAY_LIMIT:,}")
    if args.collisions is not None and not 1 <= args.collisions <= MAX_COLLISION_LIMIT:
        raise CliError(f"--collisions must be from 1 to {MAX_COLLISION_LIMIT:,}")
    stored = ctx.journey(args.journey)
    start = args.start if args.start is not None else int(time.time())
    try:
        result = run_forecast(
            stored.id, days=args.days, start=start,
            tick_interval=SettingsRepository().tick_interval(), max_per_day=args.max_per_day,
            events=args.events, collisions=args.collisions,
        )
    except ForecastError as exc:
        raise CliError(str(exc)) from None
    with result:
        if args.json:
            data = result.to_json()
            if args.customer is not None:
                data["customer"] = _trace_json(result, args.customer)
            ctx.print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            _print_table(ctx, result)
            _print_collisions(ctx, result)
            if args.customer is not None:
                _print_trace(ctx, result, args.customer)
    return EXIT_OK


def _when(result: ForecastResult, ts: int) -> str:
    return engine.local_datetime(ts, result.tz).strftime("%Y-%m-%d %H:%M")


def _print_table(ctx: CliContext, result: ForecastResult) -> None:
    minutes = result.tick_interval / 60
    every = f"{minutes:g} min" if minutes >= 1 else f"{result.tick_interval} s"
    ctx.print(f"forecast: {result.journey.name} ({result.status}), {len(result.days)} days "
              f"from {_when(result, result.start)}, ticking every {every}")
    channels = channels_of(result.days) or ["messages"]
    header = ["date", "entered", "exited", "in progress", *channels]
    rows: list[list[object]] = [
        [day.date.isoformat(), day.entered, day.exited, day.in_progress,
         *(day.messages.get(c, 0) for c in channels)]
        for day in result.days
    ]
    totals = result.totals
    rows.append(["total", totals.entered, totals.exited, totals.in_progress,
                 *(totals.messages.get(c, 0) for c in channels)])
    _print_columns(ctx, header, rows)
    _print_goal_table(ctx, result)
    peak = result.peak_day
    ctx.print(f"peak day: {peak.date.isoformat()} ({peak.message_total} messages)" if peak
              else "peak day: none (no messages)")
    if result.warnings:
        ctx.print("warnings:")
        for warning in result.warnings:
            ctx.print(f"  - {warning}")


def _print_columns(ctx: CliContext, header: list[str], rows: list[list[object]]) -> None:
    """A table: the first column to the left, the figures to the right."""
    table: list[list[object]] = [list(header), *rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for row in table:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(v).rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        ctx.print("  ".join(cells))


def _print_goal_table(ctx: CliContext, result: ForecastResult) -> None:
    """Conversions and the runs ended by the goal and by each exit rule, per day (only for
    a journey with a goal or exit rules)."""
    keys = goal_keys(result.journey)
    if not keys:
        return
    ctx.print("conversions, and runs ended by the goal and by each exit rule:")
    rows: list[list[object]] = [
        [day.date.isoformat(), day.conversions, *(day.exits.get(k, 0) for k in keys)]
        for day in result.days
    ]
    totals = result.totals
    rows.append(["total", totals.conversions, *(totals.exits.get(k, 0) for k in keys)])
    _print_columns(ctx, ["date", "conversions", *keys], rows)


def _print_collisions(ctx: CliContext, result: ForecastResult) -> None:
    """The collision report's summary, its busy days and its top rows."""
    report = result.collisions
    if report is None:
        return
    ctx.print(f"collisions with the active journeys ({', '.join(report.journey_names)}):")
    ctx.print(f"  {summary_text(report)}")
    for warning in report.warnings:
        ctx.print(f"  - {warning}")
    if not report.collisions:
        return
    ctx.print("  per day: " + ", ".join(f"{d.date.isoformat()} {d.customers:,}"
                                        for d in report.days if d.customers))
    top = report.collisions[:TOP_PRINTED]
    table = [["customer", "date", "messages", "journeys"],
             *([c.external_id, c.date.isoformat(), str(c.messages), ", ".join(c.journeys)]
               for c in top)]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        ctx.print("  " + "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                                    row[2].rjust(widths[2]), row[3]]))
    if len(report.collisions) > len(top):
        ctx.print(f"  … and {len(report.collisions) - len(top):,} more (--json lists them all)")


def _trace_json(result: ForecastResult, external_id: str) -> dict[str, object]:
    return {
        "id": external_id,
        "in_audience": result.has_customer(external_id),
        "trace": [_step_json(result, step) for step in result.trace(external_id)],
    }


def _step_json(result: ForecastResult, step: TraceStep) -> dict[str, object]:
    data: dict[str, object] = {
        "entry": step.entry_number, "node": step.node,
        "time": engine.local_datetime(step.reached_at, result.tz).isoformat(),
        "before_forecast": step.reached_at < result.start}
    if step.wait is not None:
        data["wait"] = {"outcome": step.wait.outcome, "event": step.wait.event,
                        "time": engine.local_datetime(step.wait.at, result.tz).isoformat()}
    if step.message:
        data["message"] = step.message
    return data


def _print_trace(ctx: CliContext, result: ForecastResult, external_id: str) -> None:
    if not result.has_customer(external_id):
        ctx.print(f"customer {external_id}: not in the journey's audience")
        return
    steps = result.trace(external_id)
    if not steps:
        ctx.print(f"customer {external_id}: never enters in these {len(result.days)} days")
        return
    ctx.print(f"customer {external_id}:")
    for step in steps:
        node = result.journey.node(step.node)
        kind = (node.channel or node.type) if node is not None and node.type == "message" else (
            node.type if node is not None else "?")
        before = "  (before the forecast)" if step.reached_at < result.start else ""
        wait = (": " + step.wait.words(lambda ts: _when(result, ts))
                if step.wait is not None else f": {step.message!r}" if step.message else "")
        ctx.print(f"  {_when(result, step.reached_at)}  entry {step.entry_number}  "
                  f"{step.node} ({kind}){wait}{before}")
